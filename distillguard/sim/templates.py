"""Prompt templates with a fixed part: legitimate app integrations and harvesting operators.

Both kinds of traffic are templated.  Products send the same system prompt and
instruction around the clock with their users' text in ``{text}``; distillation
operators send a narrow template around each harvested task (the chain-of-thought
elicitation of :mod:`distillguard.sim.elicitation` is layered on top).  Being
templated is therefore *not* evidence of an attack, and the two sets are written so
that no surface cue (length, system prompt, temperature, output budget, capability)
separates them on its own.

>>> system, user = fill(template("math_tutor_kids"), "What is 3/4 of 20?")
>>> system is None, user
(True, 'Explain the solution to this problem for a 10-year-old: What is 3/4 of 20?')
>>> len(APP_TEMPLATES) >= 40 and len(HARVEST_TEMPLATES) >= 12
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from distillguard.errors import ScenarioError

PLACEHOLDER = "{text}"

#: Capabilities a template targets; the same set as scenario targets.
CAPABILITIES: tuple[str, ...] = ("coding", "math", "reasoning", "agentic", "writing", "other")

_ID_RE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")


@dataclass(frozen=True)
class PromptTemplate:
    """A fixed prompt an integration or operator sends, with ``{text}`` for the varying part."""

    id: str
    #: System prompt sent with every request (None: no system message).
    system: str | None
    #: User message; holds ``{text}`` exactly once.
    user: str
    capability: str
    temperature: float
    max_tokens: int

    def __post_init__(self) -> None:
        # The catalog is code, so a malformed template is a bug: fail at import.
        if not _ID_RE.fullmatch(self.id):
            raise ValueError(f"template id {self.id!r} is not snake_case")
        if self.user.count(PLACEHOLDER) != 1:
            raise ValueError(f"template {self.id}: user must hold {PLACEHOLDER} exactly once")
        if self.system is not None and PLACEHOLDER in self.system:
            raise ValueError(f"template {self.id}: {PLACEHOLDER} belongs in the user message")
        if self.capability not in CAPABILITIES:
            raise ValueError(f"template {self.id}: unknown capability {self.capability!r}")
        if not 0.0 <= self.temperature <= 2.0 or self.max_tokens < 1:
            raise ValueError(f"template {self.id}: bad temperature or max_tokens")


_T = PromptTemplate

APP_TEMPLATES: tuple[PromptTemplate, ...] = (
    _T(
        "support_ticket_summariser",
        "You are the internal support assistant for Northwind Cloud. Be concise and factual. "
        "Never invent account details.",
        "Summarise this support ticket for the on-call engineer in at most three bullet "
        "points, then state the customer's requested action on its own line.\n\nTicket:\n{text}",
        "writing",
        0.2,
        400,
    ),
    _T(
        "email_reply_drafter",
        None,
        "Draft a polite, professional reply to the customer email below. Keep it under 150 "
        'words, confirm next steps, and sign off as "The Billing Team".\n\nEmail:\n{text}',
        "writing",
        0.7,
        500,
    ),
    _T(
        "product_description_writer",
        "You write product copy for an outdoor gear e-commerce store. Tone: friendly and "
        "concrete, no superlatives, no certifications that are not in the input.",
        "Write a 90-word product description and five bullet-point features from these "
        "specs:\n{text}",
        "writing",
        0.8,
        350,
    ),
    _T(
        "review_sentiment_json",
        None,
        "Classify the sentiment of the product review below. Respond with JSON only, using "
        "the keys sentiment (positive, negative, mixed or neutral), confidence (a number "
        "between 0 and 1) and aspects (a list of product aspects mentioned).\n\nReview: {text}",
        "other",
        0.0,
        120,
    ),
    _T(
        "meeting_notes_extractor",
        "You turn meeting transcripts into structured notes for a project-management tool.",
        "From the transcript below, extract the decisions made, the action items with owner "
        "and due date, and the open questions. Use Markdown headings.\n\n{text}",
        "writing",
        0.2,
        800,
    ),
    _T(
        "bi_sql_generator",
        "You are the query engine of a BI dashboard. Database: PostgreSQL 15. Tables: "
        "orders(order_id, customer_id, created_at, total_cents, status), "
        "customers(customer_id, name, country, signup_date), order_items(order_id, sku, "
        "quantity, unit_price_cents), products(sku, name, category). Only produce read-only "
        "queries.",
        "Question: {text}\nWrite a single SQL query that answers the question. Return only "
        "the SQL, no explanation.",
        "coding",
        0.0,
        400,
    ),
    _T(
        "code_review_bot",
        "You are ReviewBot, an automated reviewer on a GitHub repository. Comment only on "
        "real problems: bugs, security issues, missing error handling and unclear naming. "
        "Do not praise.",
        "Review this diff. For each issue, give the file, the line, the severity (high, "
        "medium or low) and a suggested change.\n\n```diff\n{text}\n```",
        "coding",
        0.2,
        1200,
    ),
    _T(
        "docstring_generator",
        None,
        "Write a Google-style docstring for the following Python function. Return only the "
        "docstring.\n\n{text}",
        "coding",
        0.2,
        300,
    ),
    _T(
        "log_error_explainer",
        "You are embedded in a developer console. Users paste stack traces and log "
        "excerpts. Explain the most likely root cause in plain language and propose a "
        "concrete fix. If the log is insufficient, say what extra information is needed.",
        "{text}",
        "coding",
        0.3,
        700,
    ),
    _T(
        "translate_to_german",
        "You are a professional translator. Translate faithfully and keep formatting, "
        "placeholders and product names unchanged.",
        "Translate into German:\n\n{text}",
        "writing",
        0.1,
        1000,
    ),
    _T(
        "translate_to_japanese_ui",
        None,
        "Translate the following text into natural Japanese suitable for a mobile app UI. "
        "Output only the translation.\n\n{text}",
        "writing",
        0.2,
        800,
    ),
    _T(
        "translate_to_spanish",
        None,
        "Traduce al español neutro el siguiente texto, conservando el formato:\n\n{text}",
        "writing",
        0.2,
        1000,
    ),
    _T(
        "translate_support_zh",
        "Translate customer-support messages from English to Simplified Chinese. Keep a "
        "warm, polite tone.",
        "{text}",
        "writing",
        0.3,
        600,
    ),
    _T(
        "seo_title_generator",
        None,
        "Generate 5 SEO-friendly titles (at most 60 characters each) for a blog post with "
        "this summary:\n{text}",
        "writing",
        0.9,
        200,
    ),
    _T(
        "resume_screener",
        "You are a recruiting assistant screening resumes for a Senior Backend Engineer "
        "role. Requirements: 5+ years of backend development, Go or Java, distributed "
        "systems, on-call experience. Nice to have: Kubernetes, PostgreSQL. Evaluate only "
        "job-relevant qualifications.",
        "Resume:\n{text}\n\nRate the fit as strong, possible or weak and list the evidence "
        "for each requirement.",
        "other",
        0.0,
        500,
    ),
    _T(
        "legal_clause_extractor",
        None,
        "Extract the following clauses from the contract if present: governing law, "
        "termination, limitation of liability, indemnification, auto-renewal. Quote each "
        'clause verbatim with its section number, and say "not found" for missing ones.'
        "\n\nContract:\n{text}",
        "other",
        0.0,
        1500,
    ),
    _T(
        "recipe_tagger",
        None,
        "Tag this recipe with cuisine, diet labels (vegan, vegetarian, gluten-free, "
        "dairy-free), main ingredients and total time. Output comma-separated tags only."
        "\n\n{text}",
        "other",
        0.0,
        100,
    ),
    _T(
        "bank_persona_chatbot",
        "You are Penny, the virtual assistant of Harbor Savings Bank. You help customers "
        "with questions about accounts, cards, transfers, branch opening hours and the "
        "mobile app.\nRules:\n1. Never ask for full card numbers, PINs or passwords.\n"
        "2. You cannot move money; send customers to the app or a branch for transactions."
        "\n3. For disputes or fraud, give the 24/7 fraud line 0800 555 0199 and advise "
        "locking the card in the app.\n4. Keep answers short and friendly and reply in the "
        "customer's language.\n5. If you are unsure, offer to connect the customer with a "
        "human agent.\n6. Do not give investment, tax or legal advice.\nCurrent promotion: "
        "no fee on international transfers within the EU until the end of the quarter.",
        "{text}",
        "other",
        0.5,
        400,
    ),
    _T(
        "rag_answerer",
        "You are a documentation assistant. If the answer is not in the context, say that "
        "you don't know.",
        "Answer using only the context: {text}",
        "reasoning",
        0.1,
        500,
    ),
    _T(
        "math_tutor_kids",
        None,
        "Explain the solution to this problem for a 10-year-old: {text}",
        "math",
        0.5,
        600,
    ),
    _T(
        "teacher_grading_assistant",
        "You help teachers grade short-answer homework. Be fair and consistent with the "
        "rubric. Feedback is shown to the student, so be encouraging and specific.",
        "Grade the student's answer below on a 0-4 scale using the rubric, then write two "
        "sentences of feedback.\n\n{text}",
        "other",
        0.2,
        300,
    ),
    _T(
        "support_ops_agent",
        "You are an operations assistant with access to these tools:\n"
        "- search_orders(query): find orders by customer email or order id\n"
        "- get_shipment(tracking_id): current shipment status\n"
        "- issue_refund(order_id, amount_cents, reason): refunds up to 5000 cents without "
        "approval\n- escalate(ticket_id, note): hand over to a human\n"
        "Call a tool by replying with a JSON object with the keys tool and arguments. Decide "
        "which tool fits before calling it, and after each tool result decide the next "
        "action. Stop when the customer's request is resolved.",
        "Customer request: {text}",
        "agentic",
        0.0,
        1000,
    ),
    _T(
        "unit_test_generator",
        None,
        "Write pytest unit tests for the following function. Cover normal cases, edge cases "
        "and error handling. Return a single Python file.\n\n{text}",
        "coding",
        0.2,
        1500,
    ),
    _T(
        "regex_helper",
        None,
        "Write a regular expression (Python flavour) for: {text}\nThen give three strings "
        "that match and three that do not.",
        "coding",
        0.0,
        300,
    ),
    _T(
        "commit_message_writer",
        "Generate conventional-commit messages. The first line has at most 72 characters.",
        "Write a commit message for this staged diff:\n{text}",
        "coding",
        0.3,
        150,
    ),
    _T(
        "ide_code_explainer",
        'You are an IDE assistant. The user has selected some code and clicked "Explain". '
        "Be brief, refer to identifiers by name, and mention any bug you notice.",
        "{text}",
        "coding",
        0.2,
        600,
    ),
    _T(
        "bug_fix_assistant",
        None,
        "The following code fails with the error shown. Fix the bug and return the corrected "
        "code with a one-line explanation of the cause.\n\n{text}",
        "coding",
        0.1,
        1200,
    ),
    _T(
        "sql_query_optimizer",
        "You are a database performance consultant for MySQL 8.",
        "Here is a slow query and its EXPLAIN output. Suggest indexes or rewrites and "
        "estimate the impact.\n\n{text}",
        "coding",
        0.2,
        900,
    ),
    _T(
        "homework_answer_checker",
        "You check students' math homework for a tutoring platform. Never reveal the full "
        "solution; point to the first incorrect line and give a hint.",
        "Problem and student's work:\n{text}",
        "math",
        0.1,
        300,
    ),
    # A legitimate "show steps" product: a hard negative for step-demand detectors.
    _T(
        "equation_steps_solver",
        'You power the "Show steps" button of a math learning app. Present each algebraic '
        "step on its own line with a short justification, then box the final result. Use "
        "LaTeX.",
        "Solve and show the steps: {text}",
        "math",
        0.0,
        800,
    ),
    _T(
        "word_problem_hint",
        None,
        "Give one hint for the word problem below. Do not reveal the answer or any numbers "
        "from the solution.\n\n{text}",
        "math",
        0.6,
        120,
    ),
    _T(
        "ab_test_explainer",
        "You explain statistical results to product managers without jargon.",
        "Explain what this A/B test output means and whether we should ship the variant:\n{text}",
        "math",
        0.3,
        500,
    ),
    _T(
        "spreadsheet_formula_helper",
        None,
        "Write an Excel formula that does the following, and explain each function used in "
        "one line: {text}",
        "coding",
        0.1,
        300,
    ),
    _T(
        "interview_question_generator",
        "You help hiring managers prepare structured interviews.",
        "Generate 6 behavioural interview questions, each with what a strong answer should "
        "show, for this job description:\n{text}",
        "writing",
        0.7,
        700,
    ),
    _T(
        "quiz_generator",
        None,
        "Create a 5-question multiple-choice quiz with an answer key from this lesson text. "
        "Mark the correct option with an asterisk.\n\n{text}",
        "writing",
        0.6,
        800,
    ),
    _T(
        "news_summariser",
        None,
        "Summarize the article in three sentences for a morning newsletter. Neutral tone."
        "\n\n{text}",
        "writing",
        0.3,
        200,
    ),
    _T(
        "social_post_writer",
        "You are the social-media assistant of a small coffee roastery in Lisbon. Voice: "
        "warm, playful, never pushy. At most two emojis.",
        "Write an Instagram caption and 5 hashtags for: {text}",
        "writing",
        1.0,
        150,
    ),
    _T(
        "chat_title_generator",
        None,
        "Give a short title (at most 6 words) for a conversation that starts with this "
        "message. Reply with the title only.\n\n{text}",
        "other",
        0.3,
        20,
    ),
    _T(
        "moderation_classifier",
        "You are a content-moderation classifier for a community forum. Categories: "
        "harassment, hate, sexual, self_harm, spam, violence, none. Respond with the "
        "category names that apply, comma separated, and nothing else.",
        "{text}",
        "other",
        0.0,
        20,
    ),
    _T(
        "intent_router",
        None,
        "Classify the user's message into one of: billing, technical_issue, account_access, "
        "cancellation, feedback, other. Answer with the label only.\n\nMessage: {text}",
        "other",
        0.0,
        10,
    ),
    _T(
        "discharge_note_simplifier",
        "You rewrite clinical discharge instructions at a 6th-grade reading level for "
        "patients. Do not add or remove medical advice.",
        "{text}",
        "writing",
        0.2,
        700,
    ),
    _T(
        "invoice_field_extractor",
        None,
        "Extract vendor name, invoice number, invoice date, due date, currency and total "
        "amount from the OCR text below. Respond as JSON with those keys and use null for "
        "anything missing.\n\n{text}",
        "other",
        0.0,
        200,
    ),
    _T(
        "logic_puzzle_hints",
        "You are the hint engine of a daily logic-puzzle game. Give the smallest useful "
        "nudge and never solve the puzzle.",
        "Puzzle state and player's question: {text}",
        "reasoning",
        0.4,
        150,
    ),
    _T(
        "trip_planner",
        "You are a travel-planning assistant. Consider opening hours, travel time between "
        "places and the traveller's budget. Present the plan as a day-by-day itinerary.",
        "{text}",
        "reasoning",
        0.7,
        1200,
    ),
    _T(
        "repo_coding_agent",
        "You are a coding agent working inside the user's repository. Tools: "
        "read_file(path), write_file(path, content), run(cmd), search(pattern). Inspect the "
        "code with the tools before editing, make minimal changes, run the tests after each "
        "edit, and finish with a summary of what you changed.",
        "Task: {text}",
        "agentic",
        0.0,
        8192,
    ),
    _T(
        "browser_research_agent",
        "You can browse the web with the tools open_url(url), search(query) and "
        "extract(selector). Cite every source you use with its URL. Do not fill in forms or "
        "log in anywhere.",
        "Research task: {text}",
        "agentic",
        0.3,
        4096,
    ),
    _T(
        "saas_faq_bot",
        "Answer questions about Lumen Analytics using the FAQ below. If a question is not "
        "covered, offer to open a support ticket.\nFAQ:\nQ: How do I reset my password? "
        "A: Use the Forgot password link on the login page.\nQ: Which plans include SSO? "
        "A: Business and Enterprise.\nQ: Can I export data? A: Yes, as CSV or Parquet from "
        "Settings > Export.\nQ: Where is data stored? A: In the EU (Frankfurt) unless you "
        "chose the US region at signup.",
        "{text}",
        "other",
        0.3,
        300,
    ),
    _T(
        "kids_science_explainer",
        None,
        "Explain this to a curious 8-year-old in a short, fun way, with one everyday "
        "example: {text}",
        "reasoning",
        0.7,
        300,
    ),
    _T(
        "decision_pros_cons",
        None,
        "List the pros and cons of the following decision and end with a balanced "
        "recommendation.\n\n{text}",
        "reasoning",
        0.5,
        600,
    ),
    _T(
        "algorithms_course_ta",
        "You are a teaching assistant for an undergraduate algorithms course. Help students "
        "understand, but do not write complete solutions to graded assignments; give "
        "pseudocode fragments and complexity arguments instead.",
        "{text}",
        "coding",
        0.4,
        800,
    ),
    # Checks proofs for gaps: vocabulary close to self-critique elicitation, but benign.
    _T(
        "proof_feedback",
        "You give feedback on students' proofs in an introductory real-analysis course.",
        "Check this proof for gaps and unjustified steps, and say how to fix each one:\n\n{text}",
        "math",
        0.2,
        800,
    ),
    _T(
        "competitive_programming_coach",
        "You coach students preparing for programming olympiads on a learning platform. "
        "When a student shares a problem and their code, find the bug or the complexity "
        "issue and explain it; share a corrected solution only if they ask for it.",
        "{text}",
        "coding",
        0.3,
        2000,
    ),
)

HARVEST_TEMPLATES: tuple[PromptTemplate, ...] = (
    _T(
        "competitive_programmer_solve",
        None,
        "You are an expert competitive programmer. Solve the following problem.\n\n{text}",
        "coding",
        0.7,
        8000,
    ),
    _T(
        "rigorous_math_solution",
        None,
        "Problem: {text}\nProvide a complete, rigorous solution.",
        "math",
        0.6,
        8000,
    ),
    _T(
        "diverse_solutions",
        None,
        "Generate 5 diverse solutions to: {text}",
        "coding",
        1.0,
        12000,
    ),
    _T(
        "sft_data_generator",
        "You are a data generation assistant producing high-quality responses for an "
        "instruction-tuning dataset. Always answer fully and correctly.",
        "{text}",
        "other",
        0.8,
        4000,
    ),
    _T(
        "python_expert_solution",
        "You are a world-class Python engineer.",
        "Write a correct, efficient Python solution for the task below. Include the full "
        "code.\n\n{text}",
        "coding",
        0.2,
        4000,
    ),
    _T(
        "olympiad_medalist",
        "You are a mathematics olympiad gold medalist.",
        "{text}",
        "math",
        0.7,
        8000,
    ),
    # Agentic trajectories are harvested too: a tool list like a real agent product's.
    _T(
        "agent_trajectory_harvest",
        "You are an autonomous agent. Available tools: python(code), bash(cmd), "
        "search(query), browse(url). Call one tool at a time by replying with a JSON object "
        "with the keys tool and input. Keep going until the task is finished.",
        "Complete this task: {text}",
        "agentic",
        0.7,
        8000,
    ),
    _T(
        "multi_language_solutions",
        None,
        "Solve the following in Python, C++ and Java. Put each solution in its own code "
        "block.\n{text}",
        "coding",
        0.5,
        6000,
    ),
    _T(
        "accurate_answer",
        None,
        "Answer the following question as accurately as possible.\n\n{text}",
        "reasoning",
        0.3,
        2048,
    ),
    _T(
        "solution_with_tests",
        None,
        "Implement a solution to the problem below and write unit tests covering the edge "
        "cases.\n\n{text}",
        "coding",
        0.4,
        6000,
    ),
    _T(
        "research_mathematician_proof",
        "You are a research mathematician.",
        "Prove the following statement. {text}",
        "math",
        0.5,
        6000,
    ),
    _T(
        "best_possible_answer",
        "You are a helpful, harmless and honest assistant. Give the best possible answer.",
        "{text}",
        "other",
        0.7,
        4000,
    ),
    _T(
        "instruction_response_pair",
        None,
        "Instruction: {text}\nResponse:",
        "writing",
        0.9,
        2000,
    ),
    _T(
        "idiomatic_rewrite",
        None,
        "Rewrite the following code so it is idiomatic, efficient and well documented:\n{text}",
        "coding",
        0.3,
        4000,
    ),
    _T(
        "swe_agent_patch",
        "You are an autonomous software-engineering agent. You receive a GitHub issue and a "
        "repository snapshot. Tools: view(path), edit(path, old, new), run(cmd), submit(). "
        "Reproduce the bug, fix it, run the test suite, then submit.",
        "Issue:\n{text}\n\nResolve the issue and submit the final patch.",
        "agentic",
        0.5,
        16000,
    ),
    _T(
        "exam_solver",
        "Solve exam questions. Correctness comes first.",
        "{text}\n\nSolution:",
        "math",
        0.2,
        4000,
    ),
    _T(
        "exemplary_response",
        None,
        "Write an excellent response to the following request, as the best assistant in the "
        "world would.\n\n{text}",
        "writing",
        0.8,
        4000,
    ),
    _T(
        "logic_puzzle_solver",
        None,
        "Solve this logic puzzle. {text}",
        "reasoning",
        0.3,
        1024,
    ),
)

_BY_ID: dict[str, PromptTemplate] = {t.id: t for t in APP_TEMPLATES + HARVEST_TEMPLATES}
if len(_BY_ID) != len(APP_TEMPLATES) + len(HARVEST_TEMPLATES):
    raise ValueError("prompt template catalog: duplicate template ids")


def template(template_id: str) -> PromptTemplate:
    """Return the app or harvest template with this id (unknown id: ScenarioError)."""
    try:
        return _BY_ID[template_id]
    except KeyError:
        raise ScenarioError(f"unknown prompt template {template_id!r}") from None


def fill(template: PromptTemplate, text: str) -> tuple[str | None, str]:
    """Return ``(system, user)`` with ``text`` in place of ``{text}``.

    ``str.replace`` rather than ``str.format``: the filler is real code, JSON or LaTeX
    full of braces that must pass through unchanged.
    """
    return template.system, template.user.replace(PLACEHOLDER, text, 1)
