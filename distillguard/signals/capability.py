"""Capability: what a request exercises (coding, math, reasoning, agentic, writing, other).

Distillation campaigns target capabilities (Anthropic's 2026 report: agentic
reasoning, tool use, coding); an account whose traffic is almost all one capability,
in the shape of benchmark-like tasks, looks different from a person's mixed use.
This signal labels each request so profiles can measure that mix.

Each capability has one RE2 alternation of cue tokens (code fences, keywords and
stack traces; equations, LaTeX and "solve/prove"; "which of the following" and
premises; tool and agent vocabulary; essays, emails and rewrites), in the main
languages.  A request scores the number of cue tokens per capability (capped) times
the capability's weight; sending the ``tools`` parameter adds to *agentic*.  The best
capability wins if its score reaches ``min_score``, else the request is *other*.
Ties go to the earlier capability in :data:`ORDER`.  ``capability_score`` is the
winner's share of the evidence, ``best / (best + runner_up + 1)``, in [0, 1].

The same lower-cased window as :mod:`~distillguard.signals.cot_elicitation` is
scanned (both ends of long prompts), and counted once per batch.

>>> sig = Capability()
>>> def cap(text: str, **params: object) -> str:
...     event = {"messages": [{"role": "user", "content": text}], "params": params or None}
...     return sig.compute_one(event)["capability"]
>>> cap("Why does my python script raise KeyError: 'id'? ```print(d['id'])```")
'coding'
>>> cap("Solve for x: 3x + 5 = 20")
'math'
>>> cap("Which of the following conclusions follows from the premises? (A) ... (B) ...")
'reasoning'
>>> cap("Book me a flight to Oslo", tools='[{"type": "function"}]')
'agentic'
>>> cap("Write a cover letter for a junior accountant position")
'writing'
>>> cap("What's the capital of Peru?")
'other'
"""

# ruff: noqa: RUF001

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from typing import ClassVar

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from distillguard.signals.base import EventBatch, Signal, register
from distillguard.signals.cot_elicitation import python_regex, scan_text

#: Capabilities in tie-break order; "other" is the fallback.
ORDER: tuple[str, ...] = ("coding", "math", "agentic", "reasoning", "writing")
LABELS: tuple[str, ...] = (*ORDER, "other")

#: Cue tokens per capability (RE2, matched on lower-cased text and counted).
PATTERNS: dict[str, str] = {
    # Every alternative starts with a literal (or a rare character): an alternative
    # that opens with a character class makes RE2 try a match at almost every byte.
    "coding": "|".join(
        (
            r"```",
            r"\bdef \w+\(|\bclass \w+\s*[(:{]|\bimport \w+|\bfrom [\w.]+ import\b|#include\b"
            r"|\bpublic (?:static|class|void|int)\b|\bfunction\s*\w*\s*\(|=>|\bconsole\.log\b"
            r"|\bprintf?\(|\bconst \w+ =|\blet \w+ =|\bvar \w+ =|\belif\b|\bself\.\w+"
            r"|\bstd::|\bnew \w+\(|\bselect \*|\bgroup by\b|\border by\b|\binner join\b"
            r"|\bcreate table\b|\breturn\b",
            r"traceback \(most recent call last\)|(?:type|value|key|index|attribute|name|syntax"
            r"|runtime|import|assertion|reference|range|zerodivision)error\b|exception\b"
            r"|\bstack ?trace\b|segmentation fault|undefined reference|\bnull ?pointer\b",
            r"\b(?:python|javascript|typescript|java|c\+\+|c#|golang|rust|kotlin|swift|php|ruby"
            r"|scala|haskell|sql|sqlite|mysql|postgres(?:ql)?|html|css|react|vue|angular|django"
            r"|flask|node\.?js|bash|powershell|regex|regexp|json|yaml|docker|kubernetes|git"
            r"|linux|vba|matlab|pandas|numpy|pytorch|tensorflow|coq|forth|crontab|cron)\b",
            r"\b(?:code|coding|program|programming|method|variable|compile|compiler"
            r"|debug|bug|algorithm|script|snippet|implement|implementation|refactor|unit tests?"
            r"|repository|codebase|recursion|linked list|hash ?map|binary tree|big-o"
            r"|time complexity|runtime|selector|bitwise|syntax|api|endpoint|library)\b",
            r"\b0b[01]{2,}\b|\b0x[0-9a-f]+\b|<<|>>|\[gls\]|\[thm\]|:root\b|\bforall\b|\"\"\"|>>>"
            r"|\bselect (?:all |the |every )?elements?\b|\bregular expressions?\b"
            r"|\bproduction rules?\b|\bstack\b|\bcss selector|\bcommand line\b|\bterminal\b",
            r"代码|编程|函数|程序|コード|プログラム|関数|코드|프로그램|함수|программ|функци"
            r"|código|función|fonction|programme|funktion|lập trình|mã nguồn|कोड|प्रोग्राम"
            r"|كود|برنامج|برمجة|fonksiyon",
        )
    ),
    "math": "|".join(
        (
            r"\\(?:frac|sqrt|int|sum|prod|lim|cdot|times|pi|alpha|beta|theta|le|ge|neq|infty"
            r"|binom|log|sin|cos|tan)\b|\$[^$\n]{1,40}\$",
            r"=\s*-?\d|\^\s*[\d({a-z]|√|∫|∑|π|≤|≥|≠|×|÷|\bf\([a-z]\)|\[\[\s*-?\d",
            r"\b(?:solve|calculate|compute|simplify|prove|proof|theorem|lemma|integral|derivative"
            r"|differentiate|integrate|equations?|inequalit(?:y|ies)|polynomial|matri(?:x|ces)"
            r"|determinant|eigen\w*|vectors?|probability|expected value|variance|factorial"
            r"|primes?|divisible|modulo|congruent|gcd|lcm|remainder|how many|how much"
            r"|what is the value|percentage|percent|ratio|fraction|area|volume|perimeter|radius"
            r"|triangle|circle|angle|geometry|algebra|calculus|trigonometr\w*|logarithm"
            r"|exponent|recurrence|real roots?|integers?|sum of|product of|average"
            r"|arithmetic|math|mathematics)\b",
            r"求解|计算|方程|证明|概率|积分|导数|矩阵|整数|面积|計算|方程式|証明|確率|積分|微分"
            r"|行列"
            r"|계산|방정식|증명|확률|적분|미분|행렬|정수|вычисл|уравнени|докаж|вероятност|интеграл"
            r"|производн|матриц|найдите|сколько|ecuación|demuestra|probabilidad|derivada|matriz"
            r"|équation|démontre|probabilité|dérivée|matrice|berechne|gleichung|beweise"
            r"|wahrscheinlichkeit|ableitung|hesapla|denklem|olasılık|phương trình|xác suất"
            r"|chứng minh|समीकरण|प्रायिकता|गणना|احسب|معادلة|احتمال",
        )
    ),
    "reasoning": "|".join(
        (
            r"\bwhich of the following\b|\bwhich (?:one|option|statement|conclusion)\b"
            r"|\bb\)\s|\boptions?:|\btrue or false\b|\byes or no\b|\bpassage\b"
            r"|\bis the following (?:statement|argument)\b|\bpremises?\b|\bconclusions?\b"
            r"|\bdeduc\w*|\binfer\w*|\bsyllogism\b|\blogic(?:al)?\b|\briddle\b|\bpuzzle\b"
            r"|\bif someone\b|\bif something\b|\baccording to the (?:above|passage|statement|text)"
            r"|\bassumptions?\b|\bweaken|\bstrengthen|\barguments?\b|\bknights?\b|\bknaves?\b"
            r"|\btherefore\b|\ball \w+ are\b|\bsome \w+ are\b|\bfallacy\b|\bimplies\b"
            r"|\bnecessarily\b|\bcontradict\w*|\bvalid\b|\bstatement \d\b|\bantecedent\b"
            r"|\bsitting\b|\bseated\b|\bleft of\b|\bright of\b|\bclue\b|\bhints?\b",
            r"以下哪|下列哪|逻辑|前提|结论|次のうち|論理|結論|다음 중|논리|전제|결론|какое из|логик"
            r"|посылк|cuál de las siguientes|lógica|premisa|conclusión|lequel des|logique"
            r"|prémisse|welche der folgenden|logik|prämisse|hangisi|mantık|öncül"
            r"|điều nào sau đây|tiền đề|निम्नलिखित में से|أي مما يلي|منطق|استنتاج",
        )
    ),
    "agentic": "|".join(
        (
            r"\b(?:tools?|function call(?:ing|s)?|tool call(?:ing|s)?|api calls?|agents?"
            r"|autonomous(?:ly)?|plan and execute|browse|search the web|web search|workflow"
            r"|orchestrat\w*|multi-?step (?:plan|task)|github issue|pull request|patch"
            r"|repository snapshot|navigate to|click on|fill (?:in|out) the form|subtasks?"
            r"|step 1: plan)\b|\baction:|\bobservation:|\bthought:|\bsubmit\(\)"
            r"|\b(?:bash|python|search|browse|view|edit|run)\(\w*\)|\bavailable (?:tools"
            r"|functions|actions)\b|\bcall (?:one |a |the )?tool\b|\bkeys? tool and input\b",
            r"工具|智能体|调用|ツール|エージェント|도구|에이전트|инструмент|агент|herramienta"
            r"|agente"
            r"|outil|werkzeug|araç|ajan|công cụ|tác tử|टूल|एजेंट|أداة|وكيل",
        )
    ),
    "writing": "|".join(
        (
            r"\b(?:write|draft|compose|craft) (?:a|an|me|my|the|some|one)\b|\brewrite\b"
            r"|\b(?:essay|article|blog|poem|story|stories|email|e-mail|letter|speech"
            r"|lyrics|caption|tweet|cover letter|novel|chapter|paragraph|bio|biography"
            r"|press release|newsletter|proposal|slogan|advertisement|invitation|toast|eulogy"
            r"|resume|report|presentation|slides|abstract|manuscript|thesis|memo|copywriting"
            r"|literature review)\b",
            r"\bparaphrase\b|\bproofread\w*|\bedit (?:my|this|the)\b|\bin the style of\b"
            r"|\bword count\b|\bnarrative\b|\bfiction\b|\bcreative writing\b|\bpersuasive\b"
            r"|\bwriting style\b|\bin his style\b|\bin her style\b|\btone\b",
            r"写一篇|撰写|写一封|写一首|写一个|帮我写|编写|起草|文章|作文|邮件|论文|大纲|润色|改写"
            r"|小说|报告"
            r"|方案|文案|演讲稿|推介|综述|初稿|制作|ppt|字数|書いて|記事|小説"
            r"|メール|작성|에세이|이메일|기사|소설|напиши|сочинени|статью|escribe|ensayo|artículo"
            r"|carta|cuento|poema|écris|rédige|dissertation|lettre|poème|schreibe|aufsatz"
            r"|artikel|gedicht|escreva|redação|artigo|makale|mektup|viết|bài luận|लिखिए|लिखें"
            r"|निबंध|लेख|اكتب|مقال|رسالة|قصة",
        )
    ),
}


@cache
def _python_pattern(label: str) -> re.Pattern[str]:
    return python_regex(PATTERNS[label])


@register
@dataclass
class Capability(Signal):
    """The capability a request exercises, from weighted cue-token counts."""

    name: ClassVar[str] = "capability"
    description: ClassVar[str] = (
        "What a request exercises (coding, math, reasoning, agentic, writing, other) from "
        "keyword/syntax cues and the tools parameter; profiles measure each account's mix."
    )
    outputs: ClassVar[tuple[pa.Field, ...]] = (
        pa.field(
            "capability",
            pa.string(),
            metadata={
                "description": "coding | math | reasoning | agentic | writing | other.  "
                "Neutral on its own: a narrow mix per account is what profiles weigh."
            },
        ),
        pa.field(
            "capability_score",
            pa.float64(),
            metadata={
                "description": "Confidence in the label, in [0, 1]: the winner's share "
                "best / (best + runner_up + 1).  Not a suspicion score."
            },
        ),
    )

    #: A capability needs at least this much evidence to beat "other".
    min_score: float = 1.0
    #: Cue tokens counted per capability at most (a long code dump is still just code).
    cap: int = 6
    #: Evidence the ``tools`` request parameter adds to "agentic".
    tools_weight: float = 3.0
    # Per-token weights: a fenced block or stack trace is near-certain coding; "writing"
    # tokens are the weakest (many requests mention an email in passing).
    w_coding: float = 1.0
    w_math: float = 1.0
    w_agentic: float = 1.2
    w_reasoning: float = 1.0
    w_writing: float = 1.1
    #: Weight of cue tokens in the system prompt (an app's instructions name its task).
    system_weight: float = 1.0
    #: Characters scanned at each end of a long request (shared with cot_elicitation).
    window: int = 320
    threads: int = 2
    #: Batches up to this size are counted with Python's ``re`` (see ``_counts``).
    small_batch: int = 64

    def evidence(self, batch: EventBatch) -> npt.NDArray[np.float64]:
        """Evidence per request (rows) and capability (columns, in :data:`ORDER`)."""
        scan = scan_text(batch, self.window)
        n = len(scan)
        ev = np.zeros((n, len(ORDER)), dtype=np.float64)
        if n == 0:
            return ev
        weights = {
            "coding": self.w_coding,
            "math": self.w_math,
            "agentic": self.w_agentic,
            "reasoning": self.w_reasoning,
            "writing": self.w_writing,
        }

        def count(label: str) -> npt.NDArray[np.float64]:
            arr = self._counts(scan, label)
            out: npt.NDArray[np.float64] = np.minimum(arr, self.cap) * weights[label]
            return out

        if self.threads > 1 and n >= 20_000:
            with ThreadPoolExecutor(self.threads) as pool:
                cols = list(pool.map(count, ORDER))
        else:
            cols = [count(label) for label in ORDER]
        for j, col in enumerate(cols):
            ev[:, j] = col
        if self.system_weight:
            ev += self.system_weight * self._system_evidence(batch, weights)
        tools = pc.utf8_trim_whitespace(batch.param("tools"))
        has_tools = pc.fill_null(
            pc.and_(
                pc.is_valid(tools), pc.invert(pc.is_in(tools, pa.array(["", "[]", "null", "{}"])))
            ),
            False,
        ).to_numpy(zero_copy_only=False)
        ev[:, ORDER.index("agentic")] += self.tools_weight * has_tools
        return ev

    def _counts(self, text: pa.Array, label: str) -> npt.NDArray[np.float64]:
        """Cue tokens of one capability in each text (RE2 in Arrow; Python for few rows)."""
        if len(text) <= self.small_batch:
            # Arrow compiles the pattern on every call: for the gateway's single events,
            # Python's re on a pattern compiled once per process is much cheaper.
            pattern = _python_pattern(label)
            return np.array(
                [0 if t is None else len(pattern.findall(t)) for t in text.to_pylist()],
                dtype=np.float64,
            )
        c = pc.fill_null(pc.count_substring_regex(text, PATTERNS[label]), 0)
        out: npt.NDArray[np.float64] = c.to_numpy(zero_copy_only=False).astype(np.float64)
        return out

    def _system_evidence(
        self, batch: EventBatch, weights: dict[str, float]
    ) -> npt.NDArray[np.float64]:
        # Few distinct system prompts per batch (one per product or operator): count
        # each distinct one once.
        system = pc.utf8_slice_codeunits(batch.system_text, 0, 2 * self.window)
        enc = pc.dictionary_encode(pc.utf8_lower(system))
        uniq = enc.dictionary
        idx = enc.indices.to_numpy(zero_copy_only=False)
        per = np.zeros((len(uniq), len(ORDER)), dtype=np.float64)
        for j, label in enumerate(ORDER):
            per[:, j] = np.minimum(self._counts(uniq, label), self.cap) * weights[label]
        out: npt.NDArray[np.float64] = per[idx]
        return out

    def compute(self, batch: EventBatch) -> dict[str, pa.Array]:
        ev = self.evidence(batch)
        n = len(ev)
        if n == 0:
            return {
                "capability": pa.array([], pa.string()),
                "capability_score": pa.array([], pa.float64()),
            }
        # argmax takes the first maximum: ties go to the earlier capability in ORDER.
        best_idx = np.argmax(ev, axis=1)
        best = ev[np.arange(n), best_idx]
        runner = np.sort(ev, axis=1)[:, -2]
        is_other = best < self.min_score
        labels = np.array(ORDER, dtype=object)[best_idx]
        labels[is_other] = "other"
        total = ev.sum(axis=1)
        score = np.where(is_other, 1.0 / (1.0 + total), best / (best + runner + 1.0))
        return {
            "capability": pa.array(labels.tolist(), pa.string()),
            "capability_score": pa.array(np.clip(score, 0.0, 1.0), pa.float64()),
        }
