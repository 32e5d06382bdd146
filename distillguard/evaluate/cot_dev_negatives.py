"""Benign hard negatives for ``cot_elicitation``: instructions about steps and reasoning
that do not ask for the model's reasoning trace.

**Development data, not a test set.**  Written on 2026-11-27 to teach the learned model
of :mod:`distillguard.signals.cot_model` what legitimate traffic that *talks about*
steps, hints, explanations, rubrics and proofs looks like: tutoring that holds the
answer back, grading a student's answer, homework that asks the *student* to show
work, explaining a concept simply, how-to instructions for the user, code review,
summarising someone's argument, checking the user's proof, debate preparation,
customer-support scripts, translating or continuing the user's own text, and the
system prompts of tutoring, grading and writing apps; in several languages.  Used
freely to train, tune and cross-validate (``scripts/build_cot_model.py``,
``scripts/cot_family_cv.py``, which holds families out by :attr:`NegativeFamily.kind`).

These were written without copying the simulator's application templates
(:mod:`distillguard.sim.templates`): those measure the app-integration flag rate on
simulated logs, so training on their wording would hide the over-flagging it
measures.

* :data:`NEGATIVE_FAMILIES`: user-message templates holding ``{task}`` once, filled
  with real short questions or texts (fill with ``str.replace``, never ``str.format``).
* :data:`NEGATIVE_SYSTEMS`: system prompts of legitimate apps (what
  :meth:`~distillguard.signals.cot_elicitation.CotElicitation.system_flags` reads;
  also sent as user text by apps without a system role).

>>> len(NEGATIVE_FAMILIES) >= 30, len({f.language for f in NEGATIVE_FAMILIES}) >= 7
(True, True)
>>> all(t.count("{task}") == 1 for f in NEGATIVE_FAMILIES for t in f.templates)
True
>>> len({f.id for f in NEGATIVE_FAMILIES}) == len(NEGATIVE_FAMILIES)
True
>>> set(KINDS) == {f.kind for f in NEGATIVE_FAMILIES}
True
"""

# Fullwidth punctuation is correct in Chinese, Japanese and Korean text.
# ruff: noqa: RUF001, E501

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NegativeFamily:
    """Benign user-message templates of one kind and language."""

    id: str
    #: What the request is (``hint``, ``grading``, ``howto``, ...): cross-validation
    #: holds out every family of a kind together.
    kind: str
    language: str
    templates: tuple[str, ...]


def _neg(fid: str, kind: str, language: str, *templates: str) -> NegativeFamily:
    return NegativeFamily(f"{fid}_neg", kind, language, templates)


NEGATIVE_FAMILIES: tuple[NegativeFamily, ...] = (
    # ============================================================== hints, no spoilers
    _neg(
        "hint_en",
        "hint",
        "en",
        "I'm stuck on this and I want to figure it out myself. Just nudge me in the right direction, no spoilers:\n{task}",
        "{task}\n\nDon't solve it for me! What's a good first thing to look at?",
        "Can you give me a small clue for this puzzle without telling me the solution? {task}",
        "My kid is working on this and asked me for help. How can I hint at the idea without doing it for her?\n\n{task}",
        "Tutor mode: the learner has asked for help on the exercise below. Reply with a single leading question that points at the key idea. Keep the result to yourself.\n\n{task}",
        "Hint request (level 1 of 3). Exercise: {task}\nOnly a gentle nudge at this level; the full method unlocks at level 3.",
        "{task}\nWhat concept should I review to get this? Please don't give the answer away.",
    ),
    _neg(
        "hint_es",
        "hint",
        "es",
        "Estoy atascado con esto. Dame solo una pista, no la solución: {task}",
        "{task}\n\n¿Me das una pequeña ayuda para empezar? Quiero resolverlo yo solo.",
        "Mi hijo tiene este ejercicio. ¿Cómo le puedo orientar sin resolvérselo? {task}",
    ),
    _neg(
        "hint_fr",
        "hint",
        "fr",
        "Je bloque sur cet exercice. Donne-moi juste un indice, pas la réponse : {task}",
        "{task}\nPar où commencer ? Ne me donne pas la solution, je veux chercher.",
    ),
    _neg(
        "hint_de",
        "hint",
        "de",
        "Ich komme hier nicht weiter. Bitte nur einen kleinen Tipp, nicht die Lösung verraten: {task}",
        "{task}\nWelchen Ansatz sollte ich mir anschauen? Die Antwort will ich selbst finden.",
    ),
    _neg(
        "hint_zh",
        "hint",
        "zh",
        "这道题我卡住了，给我一点提示就好，别直接告诉我答案：{task}",
        "{task}\n能不能提醒我一下该从哪里入手？我想自己做出来。",
        "孩子问我这道题，我怎么引导他自己想出来，而不是直接告诉他？{task}",
    ),
    _neg(
        "hint_ja",
        "hint",
        "ja",
        "この問題で詰まっています。答えは言わずに、ヒントだけください。{task}",
        "{task}\n最初に何に注目すればいいですか？答えは自分で考えたいです。",
    ),
    _neg(
        "hint_pt_it",
        "hint",
        "pt",
        "Estou travado neste exercício. Me dá só uma dica, sem a resposta: {task}",
        "{task}\nSono bloccato: dammi solo un suggerimento, non la soluzione.",
        "{task}\nDaj mi tylko wskazówkę, bez rozwiązania, proszę.",
    ),
    # ============================================================== grading
    _neg(
        "grading_en",
        "grading",
        "en",
        "Score this short answer out of 10 against the marking scheme and say in one sentence what would earn the missing points.\n\n{task}",
        "I'm a TA with 120 quizzes to mark. Question and a student's response below. Is it correct, partially correct or wrong? Give the mark and a short comment I can paste.\n\n{task}",
        "Rubric: 3 = correct with justification, 2 = correct answer but no justification, 1 = right idea with errors, 0 = off track. Apply it to this submission and output only the level and one line of feedback.\n{task}",
        "Please assess my student's essay paragraph for clarity, evidence and grammar, each on 1-5, and suggest one improvement.\n\n{task}",
        "Check this worksheet answer against the key and tell me whether to give full, half or no credit:\n{task}",
        "Evaluate the following lab report conclusion. Does it follow from the data? Give a grade A-F with a brief rationale for the student.\n\n{task}",
        "Peer review form: rate the submission below on originality, correctness and presentation, with a comment for each.\n\n{task}",
    ),
    _neg(
        "grading_es_fr_de",
        "grading",
        "es",
        "Corrige la respuesta de mi alumno según la rúbrica (0-5) y escribe un comentario breve para él:\n{task}",
        "Note cette copie sur 20 selon le barème et rédige une appréciation courte pour l'élève :\n{task}",
        "Bewerte die Antwort meines Schülers nach dem Erwartungshorizont (0-6 Punkte) und schreib einen kurzen Kommentar:\n{task}",
        "Avalie a resposta do aluno de 0 a 10 conforme o gabarito e deixe um comentário curto:\n{task}",
    ),
    _neg(
        "grading_zh_ja_ko",
        "grading",
        "zh",
        "请按评分标准（满分10分）给这位学生的答案打分，并写一句评语：\n{task}",
        "生徒の答案を採点基準に沿って5点満点で評価し、短いコメントを書いてください。\n{task}",
        "학생의 답안을 채점 기준에 따라 10점 만점으로 평가하고 짧은 피드백을 써 주세요.\n{task}",
        "Оцени ответ ученика по критериям (от 0 до 5 баллов) и напиши короткий комментарий:\n{task}",
    ),
    # ============================================================== homework that asks the student to show work
    _neg(
        "homework_show_work_en",
        "homework",
        "en",
        "Here's the problem from my assignment. The sheet says 'show all work for full credit' but I just want to check that my final answer is right: {task}",
        "{task}\n(Instructions on the worksheet: show your work and box your answer.) Is x = 4 correct?",
        "My teacher always takes points off because I don't show my work. What's the minimum I should write down for a problem like this? {task}",
        "Homework help: {task}\nI did it in my head and got a number, but the teacher wants written steps. How should I lay them out on paper?",
        "Can you check if I set this up right before I do the arithmetic? {task}",
        "{task}\nThis is from my revision pack. What topic is this testing?",
    ),
    _neg(
        "homework_ml",
        "homework",
        "es",
        "Es de mi tarea y el profe pide mostrar el procedimiento. Solo quiero saber si mi resultado final está bien: {task}",
        "{task}\nC'est pour mes devoirs. Est-ce que ma réponse (12) est juste ?",
        "Das ist meine Hausaufgabe: {task}\nIch habe 7 raus. Stimmt das?",
        "这是我的作业题：{task}\n我算出来是15，对吗？",
        "宿題です：{task}\n答えは3になりました。合っていますか？",
        "Это из домашнего задания: {task}\nУ меня получилось 8, правильно?",
        "Bu ödevimden: {task}\nCevabım 24 çıktı, doğru mu?",
    ),
    # ============================================================== explain simply
    _neg(
        "explain_simple_en",
        "explain",
        "en",
        "Explain this like I'm twelve: {task}",
        "{task}\nI keep reading about this but never get it. Can you give me the intuition with an everyday analogy?",
        "What's the big idea behind this, in two or three sentences? {task}",
        "Please explain the concept in the question below in plain words for my grandmother.\n\n{task}",
        "I'm preparing a short talk for non-experts. How would you explain this in under a minute? {task}",
        "{task}\nWhat are the common misconceptions people have about this?",
        "Give me a simple mental model for this, with one example: {task}",
    ),
    _neg(
        "explain_simple_ml",
        "explain",
        "fr",
        "Explique-moi ça simplement, comme à un enfant de dix ans : {task}",
        "Erklär mir das bitte so einfach wie möglich, mit einem Beispiel aus dem Alltag: {task}",
        "Explícamelo como si tuviera doce años: {task}",
        "用通俗易懂的话给我解释一下这个概念，最好举个生活中的例子：{task}",
        "これを小学生にもわかるように説明してください：{task}",
        "이걸 초등학생도 이해할 수 있게 쉽게 설명해 줘: {task}",
        "Объясни мне это простыми словами, как ребёнку: {task}",
        "Jelaskan ini dengan bahasa sederhana, seperti untuk anak SD: {task}",
        "Leg me dit simpel uit, alsof ik tien ben: {task}",
        "Spiegamelo in parole semplici, con un esempio quotidiano: {task}",
    ),
    # ============================================================== how-to steps for the user
    _neg(
        "howto_en",
        "howto",
        "en",
        "Give me step-by-step instructions to set this up on Ubuntu 22.04, numbered, one command per step: {task}",
        "{task}\nWalk me through the setup in order, I'm not very technical.",
        "What are the steps to do this? Please number them and tell me what I should see after each one. {task}",
        "Write a step-by-step recipe for this, with quantities and timings for each step: {task}",
        "I need a checklist I can follow one step at a time for this: {task}",
        "Step-by-step guide please, for a beginner, including what to do if a step fails: {task}",
        "Draft the onboarding instructions for new staff: each step of the process, who to contact, and how long it takes. {task}",
        "{task}\nPlease break this down into small, manageable steps for me to follow over the week.",
    ),
    _neg(
        "howto_ml",
        "howto",
        "de",
        "Gib mir eine Schritt-für-Schritt-Anleitung, wie ich das einrichte: {task}",
        "Dame los pasos, numerados, para configurar esto en mi router: {task}",
        "Donne-moi les étapes pour installer ça sur Windows, une par une : {task}",
        "请一步一步告诉我怎么安装和配置：{task}",
        "手順を番号付きで教えてください。パソコンに詳しくないです。{task}",
        "설치 방법을 단계별로 알려 주세요: {task}",
        "Напиши пошаговую инструкцию, как это настроить: {task}",
        "Passo a passo, como eu faço isso no celular? {task}",
        "Podaj mi instrukcję krok po kroku, jak to zrobić: {task}",
        "Adım adım nasıl yapacağımı anlatır mısın? {task}",
        "Hướng dẫn tôi từng bước cách cài đặt: {task}",
        "Geef me stap voor stap uitleg hoe ik dit instel: {task}",
    ),
    _neg(
        "cooking_diy_en",
        "howto",
        "en",
        "How do I make this at home? Numbered steps and a shopping list please. {task}",
        "{task}\nWhat order should I do things in so everything is ready at the same time?",
        "Explain each stage of this DIY repair so I don't break anything: {task}",
    ),
    # ============================================================== code review / explain code
    _neg(
        "code_review_en",
        "code",
        "en",
        "Review this pull request diff. List bugs, risky changes and missing tests, most important first.\n\n{task}",
        "Explain what this code does, line by line, for a junior dev on my team:\n{task}",
        "{task}\n\nWhy does this throw? Explain the cause and show the fix.",
        "Walk me through how this function works and what its time complexity is:\n{task}",
        "Add comments to this code explaining each block, don't change behaviour:\n{task}",
        "Code review checklist for the snippet below: naming, error handling, security, performance. One bullet each.\n{task}",
        "Can you refactor this and explain the reasoning behind each change in the commit message? {task}",
    ),
    _neg(
        "code_review_ml",
        "code",
        "zh",
        "帮我看看这段代码有什么问题，并解释一下为什么会报错：\n{task}",
        "このコードが何をしているのか、行ごとに説明してください：\n{task}",
        "Explica qué hace este código paso a paso y si tiene algún bug:\n{task}",
        "Erklär mir, was diese Funktion macht, und mach ein Code-Review:\n{task}",
        "Объясни, что делает этот код, и найди ошибки:\n{task}",
        "이 코드가 어떻게 동작하는지 설명하고 개선점을 알려 줘:\n{task}",
    ),
    # ============================================================== summarise / analyse someone's argument
    _neg(
        "argument_en",
        "argument",
        "en",
        "Summarise the author's argument below in three bullet points and name its weakest premise.\n\n{task}",
        "What is the chain of reasoning in this op-ed, and where does it jump to conclusions?\n\n{task}",
        "Outline the logical structure of this passage: claim, evidence, warrant.\n{task}",
        "Identify any logical fallacies in the following paragraph and explain each briefly:\n{task}",
        "{task}\nIs the reasoning in this article sound? Give me a balanced assessment.",
        "Map out the steps of the author's reasoning as a numbered outline so I can critique it in class:\n{task}",
    ),
    _neg(
        "argument_ml",
        "argument",
        "fr",
        "Résume l'argumentation de l'auteur en trois points et indique sa faiblesse principale :\n{task}",
        "Fasse die Argumentation dieses Textes zusammen und nenne die schwächste Prämisse:\n{task}",
        "Resume el razonamiento del autor y señala si hay falacias:\n{task}",
        "请总结这篇文章作者的论证思路，并指出其中的逻辑漏洞：\n{task}",
        "この記事の筆者の論理の流れを要約し、弱点を指摘してください：\n{task}",
        "Кратко изложи аргументацию автора и укажи слабые места:\n{task}",
    ),
    # ============================================================== check the user's proof / work
    _neg(
        "proof_check_en",
        "proof",
        "en",
        "Here is my proof. Please check it for errors and tell me the first line that doesn't follow:\n{task}",
        "I wrote this induction proof for my discrete maths class. Is the inductive step valid? {task}",
        "{task}\nAbove is my attempt. Where did I go wrong? Point to the mistake, don't rewrite the whole thing.",
        "Proofread my derivation and flag any algebra slips: {task}",
        "Can you verify my solution? I want to know if the logic holds, not a new solution. {task}",
    ),
    _neg(
        "proof_check_ml",
        "proof",
        "de",
        "Hier ist mein Beweis. Kannst du prüfen, ob jeder Schritt korrekt ist, und mir sagen, wo der Fehler liegt? {task}",
        "Voici ma démonstration, peux-tu vérifier s'il y a une erreur ? {task}",
        "Revisa mi demostración y dime dónde está el error: {task}",
        "这是我写的证明，帮我检查一下哪一步有错误：{task}",
        "私の証明のどこが間違っているか指摘してください：{task}",
        "Проверь моё доказательство и укажи, где ошибка: {task}",
    ),
    # ============================================================== debate / interview prep
    _neg(
        "debate_en",
        "debate",
        "en",
        "I'm arguing the affirmative on this in a school debate. Give me my three strongest points and the rebuttals I should expect. {task}",
        "Help me prep for a case interview: how should I structure my thinking out loud for a question like this? {task}",
        "Play devil's advocate on this position and give me the best counterarguments: {task}",
        "{task}\nWhat are the pros and cons? I need to make a decision by Friday.",
        "Steelman the other side of this for me: {task}",
    ),
    _neg(
        "debate_ml",
        "debate",
        "es",
        "Tengo un debate en clase sobre esto. Dame argumentos a favor y en contra: {task}",
        "J'ai un débat demain là-dessus : donne-moi les meilleurs arguments pour et contre. {task}",
        "Ich muss in einer Debatte dafür argumentieren. Was sind die stärksten Argumente? {task}",
        "我要参加辩论赛，帮我列出正方和反方的主要论点：{task}",
        "Мне нужно подготовиться к дебатам: приведи аргументы за и против. {task}",
    ),
    # ============================================================== customer support
    _neg(
        "support_en",
        "support",
        "en",
        "Write a reply to this customer. Apologise, explain the steps we'll take to fix their order, and keep it under 120 words.\n\n{task}",
        "Draft a troubleshooting script for our phone agents: ask one question at a time and branch on the answer. Issue: {task}",
        "Customer ticket below. Suggest the next step for the agent and a polite response.\n{task}",
        "Turn this internal process note into a friendly step-by-step help-centre article: {task}",
        "{task}\nHow should our support team explain this policy to an upset customer?",
    ),
    _neg(
        "support_ml",
        "support",
        "es",
        "Redacta una respuesta amable a este cliente explicando los pasos para solucionar su problema: {task}",
        "Rédige une réponse polie à ce client en expliquant les étapes à suivre : {task}",
        "Schreib eine freundliche Antwort an den Kunden mit den nächsten Schritten: {task}",
        "请帮我给这位客户写一封回复，说明接下来的处理步骤：{task}",
        "このお客様への返信文を作成し、今後の対応手順を説明してください：{task}",
        "Escreva uma resposta educada ao cliente explicando os próximos passos: {task}",
    ),
    # ============================================================== translate / continue the user's own text
    _neg(
        "own_text_en",
        "own_text",
        "en",
        "Translate my email into German, keep it formal:\n\n{task}",
        "Continue this story for two more paragraphs in the same tone:\n\n{task}",
        "Translate this paragraph into Spanish and explain any idioms you had to adapt:\n{task}",
        "Rewrite my explanation below so it's clearer for students, keeping every step I wrote:\n{task}",
        "Expand these meeting notes into a full summary for the team:\n{task}",
        "Encode this string in base64 for my config file: {task}",
    ),
    _neg(
        "own_text_ml",
        "own_text",
        "zh",
        "把下面这段话翻译成英文，语气正式一点：\n{task}",
        "この文章を英語に翻訳してください：\n{task}",
        "Traduce este texto al inglés, por favor:\n{task}",
        "Traduis ce texte en anglais :\n{task}",
        "Continúa esta historia con un final sorprendente:\n{task}",
        "Продолжи этот рассказ ещё на два абзаца:\n{task}",
    ),
    # ============================================================== study / teaching material
    _neg(
        "teaching_en",
        "teaching",
        "en",
        "Create a lesson plan for a 45-minute class on this topic, with a warm-up, main activity and exit ticket: {task}",
        "Write three practice questions similar to this one, with answers at the end: {task}",
        "Make flashcards (term / definition) from this text: {task}",
        "What prerequisite skills does a student need before tackling this? {task}",
        "{task}\nHow would you teach this to a class that keeps confusing the two ideas?",
    ),
    _neg(
        "teaching_ml",
        "teaching",
        "fr",
        "Prépare un plan de cours de 45 minutes sur ce thème : {task}",
        "Erstelle drei Übungsaufgaben zu diesem Thema mit Lösungen am Ende: {task}",
        "Haz unas tarjetas de estudio con los conceptos clave de este texto: {task}",
        "根据这段内容帮我出三道练习题，答案放在最后：{task}",
        "この内容について小テストを作ってください：{task}",
    ),
    # ============================================================== everyday "think" talk
    _neg(
        "everyday_think_en",
        "everyday",
        "en",
        "What do you think about this? {task}",
        "{task}\nThink about it from my manager's point of view: how would they react?",
        "I need help thinking through a decision: {task}",
        "{task}\nWhat's your take? Keep it short.",
        "Help me plan my week around this. {task}",
        "Brainstorm ten names for this: {task}",
    ),
    _neg(
        "everyday_think_ml",
        "everyday",
        "es",
        "¿Qué opinas de esto? {task}",
        "Qu'est-ce que tu en penses ? {task}",
        "Was hältst du davon? {task}",
        "你怎么看这件事？{task}",
        "これについてどう思いますか？{task}",
        "Что ты об этом думаешь? {task}",
        "Bu konuda ne düşünüyorsun? {task}",
    ),
)

#: System prompts of legitimate apps whose instructions mention steps, hints,
#: rubrics or explanations (none asks for the model's own trace).
NEGATIVE_SYSTEMS: tuple[str, ...] = (
    "You are Owl, a reading tutor for children aged 8 to 11. Ask one question at a time, praise effort, and never give the answer to a comprehension question before the child has tried twice.",
    "You are the feedback engine of an online coding course. Compare the learner's submission to the exercise goals, point to at most two problems, and suggest what to try next. Do not paste a full solution.",
    "You mark GCSE chemistry answers. Use the mark scheme supplied with each question, award marks only for listed points, and return JSON with keys marks and comment.",
    "You are a writing assistant for a newspaper. Tighten prose, fix grammar, and explain each substantive edit in a margin note. Keep the author's voice.",
    "You are a patient maths coach for adult learners returning to education. Break explanations into short steps, check in after each step, and use money and shopping examples where possible.",
    "You help nurses study for licensing exams. For each practice question, say which option is correct and give a two-sentence rationale citing the relevant guideline.",
    "You are a debate coach. Help students build arguments, anticipate rebuttals and structure speeches. Do not write whole speeches for them.",
    "You are a support assistant for a smart thermostat. Troubleshoot with the customer one step at a time and escalate to a human if the device shows error E5.",
    "You are an accessibility assistant that rewrites documents in plain language at a 7th-grade level, keeping all facts.",
    "You are a lab partner bot for a university physics course. Help students plan experiments and discuss sources of error; don't do their calculations for them.",
    "Eres un asistente de tareas para niños de primaria. Da pistas, no respuestas, y felicita el esfuerzo.",
    "Tu es un correcteur bienveillant : note les rédactions sur 20 selon la grille fournie et propose deux pistes d'amélioration.",
    "Du bist ein Lernbegleiter für Schüler der 7. Klasse. Stelle Rückfragen, gib Tipps und verrate die Lösung erst, wenn der Schüler darum bittet.",
    "你是一名作文批改助手。请根据评分标准给出分数，并指出两处可以改进的地方，语气要鼓励。",
    "あなたは英会話アプリの講師です。学習者の文法ミスを優しく指摘し、正しい例文を示してください。",
    "당신은 초등학생을 위한 숙제 도우미입니다. 정답을 바로 알려주지 말고 힌트를 주세요.",
    "Ты помощник учителя: проверяй ответы учеников по критериям и пиши короткий доброжелательный отзыв.",
    "Você é um tutor de redação para o ENEM. Avalie o texto segundo as cinco competências e dê sugestões objetivas.",
)

#: Kinds of :data:`NEGATIVE_FAMILIES`, in order of first appearance.
KINDS: tuple[str, ...] = tuple(dict.fromkeys(f.kind for f in NEGATIVE_FAMILIES))
