"""``distillguard watermark keygen|detect|provenance|attribute``: the keyed output
watermark (:mod:`distillguard.provenance`).

torch is imported only by the commands that read a model.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from distillguard.cli.common import console, friendly
from distillguard.helpformat import App
from distillguard.provenance.errors import ProvenanceError
from distillguard.provenance.keys import ProviderSecret, WatermarkKey

KEY_HELP = "Watermark key file (`distillguard watermark keygen` makes one)."
TOKENIZER_HELP = (
    "The serving model's tokenizer: tokenizer.json, a GGUF file or a Hugging Face folder "
    "(not needed for records that carry token ids)."
)


def pick_key(secret: ProviderSecret, account: str | None, cohort: str | None) -> WatermarkKey:
    """The key one test uses: an account's, a cohort's, or the provider's."""
    if account and cohort:
        raise ProvenanceError("give --account or --cohort, not both")
    if account:
        return secret.derive("account", account)
    if cohort:
        return secret.derive("cohort", cohort)
    if secret.scope != "provider":
        raise ProvenanceError(
            f"this key file watermarks per {secret.scope}: pass --{secret.scope} ID, "
            "or use `distillguard watermark attribute` to test many"
        )
    return secret.provider_key()


def _sha256(path: Path) -> str | None:
    if not path.is_file():
        return None
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


wm_app = App(
    help="Keyed output watermark: detect it in text, test models for it (radioactivity), "
    "attribute a dataset or model to accounts.",
    no_args_is_help=True,
)


def emit(obj: dict[str, Any], json_out: Path | None) -> None:
    if json_out is not None:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps(obj, indent=1, default=str) + "\n", encoding="utf-8")
        console.print(f"wrote {json_out}", highlight=False)


@wm_app.command("keygen")
@friendly
def keygen(
    out: Annotated[Path, typer.Argument(metavar="FILE", help="Key file to write.")],
    key_id: Annotated[str, typer.Option("--id", metavar="ID", help="Name of the key.")],
    scope: Annotated[
        str,
        typer.Option(
            metavar="SCOPE",
            help="What one derived key covers: provider (all answers), account or cohort.",
        ),
    ] = "provider",
    gamma: Annotated[
        float, typer.Option(metavar="SHARE", help="Share of the vocabulary that is green.")
    ] = 0.25,
    delta: Annotated[
        float, typer.Option(metavar="LOGIT", help="Bias added to green tokens' logits.")
    ] = 2.0,
    context_width: Annotated[
        int, typer.Option(metavar="TOKENS", help="Previous tokens that seed the green list.")
    ] = 1,
) -> None:
    """Create a provider watermark secret (256 random bits) and its scheme settings.

    Examples:
      distillguard watermark keygen runs/wm-key.yaml --id wm2026a --scope account
    """
    from distillguard.provenance.keys import new_secret
    from distillguard.provenance.scheme import WatermarkConfig

    if out.exists():
        raise ProvenanceError("key file exists; refusing to overwrite a secret", path=out)
    if scope not in ("provider", "account", "cohort"):
        raise ProvenanceError("must be provider, account or cohort", field="scope")
    cfg = WatermarkConfig(gamma=gamma, delta=delta, context_width=context_width)
    secret = new_secret(key_id, scope, cfg)  # type: ignore[arg-type]
    secret.save(out)
    console.print(
        f"wrote {out} (scope {scope}); it holds a secret: keep it out of version control",
        highlight=False,
    )


@wm_app.command("detect")
@friendly
def detect_cmd(
    texts: Annotated[
        list[Path],
        typer.Argument(
            metavar="FILES...",
            help="Text files, or JSON Lines/Parquet with response (or text, tokens).",
        ),
    ],
    key: Annotated[Path, typer.Option(metavar="FILE", help=KEY_HELP)],
    tokenizer: Annotated[Path | None, typer.Option(metavar="PATH", help=TOKENIZER_HELP)] = None,
    account: Annotated[
        str | None, typer.Option(metavar="ID", help="Test the key of this account.")
    ] = None,
    cohort: Annotated[
        str | None, typer.Option(metavar="ID", help="Test the key of this cohort.")
    ] = None,
    alpha: Annotated[
        float,
        typer.Option(metavar="P", help="Call a text watermarked at p-value <= P."),
    ] = 1e-6,
    report: Annotated[
        Path | None, typer.Option(metavar="FILE", help="Write an HTML report here.")
    ] = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", metavar="FILE", help="Write results as JSON.")
    ] = None,
    top: Annotated[int, typer.Option(metavar="N", help="Texts listed on screen.")] = 20,
) -> None:
    """Test texts for the watermark: an exact p-value per text and pooled.

    Each test counts the distinct (context, token) pairs whose token is green
    under the key; without the watermark that count is Binomial(n, gamma), so
    p <= --alpha has a false-positive rate of at most alpha on any text.

    Examples:
      distillguard watermark detect answers.jsonl --key wm-key.yaml --tokenizer tokenizer.json
    """
    from distillguard.provenance.detect import detect, pvalue_curve, text_pairs
    from distillguard.provenance.inputs import read_texts, token_ids
    from distillguard.provenance.report import Curve, render_report

    secret = ProviderSecret.load(key)
    wkey = pick_key(secret, account, cohort)
    cfg = secret.config
    items = read_texts(texts)
    if not items:
        raise ProvenanceError("no texts found in the input")
    enc = None
    if tokenizer is not None:
        from distillguard.provenance.suspect import load_tokenizer

        enc = load_tokenizer(tokenizer).encode
    seqs = token_ids(items, enc)
    per = [detect(wkey, cfg, [s]) for s in seqs]
    pooled = detect(wkey, cfg, seqs)
    rows = [
        {"text": t.where, **d.as_dict(), "watermarked": d.p_value <= alpha}
        for t, d in zip(items, per, strict=True)
    ]
    hits = sum(r["watermarked"] for r in rows)
    for r in sorted(rows, key=lambda r: r["log10_p"])[:top]:
        console.print(
            f"{r['text']}: {r['n_green']}/{r['n_scored']} green, p = {r['p_value']:.3g}"
            + ("  [bold red]watermarked[/]" if r["watermarked"] else ""),
            highlight=False,
        )
    console.print(
        f"{hits:,} of {len(rows):,} texts watermarked at p <= {alpha:g} under {wkey.key_id}; "
        f"pooled: {pooled.n_green}/{pooled.n_scored} green, p = {pooled.p_value:.3g}",
        highlight=False,
    )
    emit(
        {"key": wkey.key_id, "alpha": alpha, "pooled": pooled.as_dict(), "texts": rows},
        json_out,
    )
    if report is not None:
        curves = []
        for t, s in list(zip(items, seqs, strict=True))[:50]:
            n, lp = pvalue_curve(wkey, cfg, text_pairs(cfg, [s]))
            curves.append(Curve(t.where, n, lp))
        n, lp = pvalue_curve(wkey, cfg, text_pairs(cfg, seqs))
        curves.append(Curve("all texts, pooled", n, lp))
        render_report(
            report,
            title=f"Watermark detection under {wkey.key_id}",
            summary=[
                ("texts", f"{len(rows):,}"),
                (f"watermarked at p <= {alpha:g}", f"{hits:,}"),
                ("pooled p-value", f"{pooled.p_value:.3g}"),
                ("scheme", json.dumps(cfg.as_dict())),
            ],
            curves=curves,
            alpha=alpha,
            rows=rows,
        )
        console.print(f"wrote {report}", highlight=False)


def _model_pairs(
    model_path: Path, contexts: list[Path], tokenizer: Path | None, top_k: int, max_length: int
) -> tuple[Any, list[Any], str | None]:
    """Teacher-forced pairs of a model on contexts (and the weights' hash)."""
    from distillguard.provenance.inputs import read_texts, token_ids
    from distillguard.provenance.suspect import load_causal_lm, load_tokenizer, predict_top_k

    if not contexts:
        raise ProvenanceError("an open-weight test needs --contexts (texts to read the model on)")
    model, mtok = load_causal_lm(model_path)
    tok = mtok
    if tokenizer is not None:
        tok = load_tokenizer(tokenizer)
        if tok.vocab() != mtok.vocab():
            raise ProvenanceError(
                "the model's tokenizer differs from the watermark's: the open-weight test "
                "needs the same token ids; test the model's answers instead (--samples)",
                path=model_path,
            )
    seqs = token_ids(read_texts(contexts), tok.encode)
    preds = predict_top_k(model, seqs, top_k=top_k, max_length=max_length)
    seqs = [s[:max_length] for s in seqs]
    preds = [p[:max_length] for p in preds]
    return seqs, preds, _sha256(model_path)


@wm_app.command("provenance")
@friendly
def provenance_cmd(
    key: Annotated[Path, typer.Option(metavar="FILE", help=KEY_HELP)],
    model: Annotated[
        Path | None,
        typer.Option(
            metavar="PATH",
            help="Open-weight suspect: a Hugging Face folder or GGUF file (teacher-forced).",
        ),
    ] = None,
    contexts: Annotated[
        list[Path] | None,
        typer.Option(
            metavar="FILE",
            help="Texts to read the suspect on, best the answers we served (repeatable).",
        ),
    ] = None,
    samples: Annotated[
        list[Path] | None,
        typer.Option(
            metavar="FILE", help="Closed suspect: its answers, tested as text (repeatable)."
        ),
    ] = None,
    tokenizer: Annotated[Path | None, typer.Option(metavar="PATH", help=TOKENIZER_HELP)] = None,
    account: Annotated[
        str | None, typer.Option(metavar="ID", help="Test the key of this account.")
    ] = None,
    cohort: Annotated[
        str | None, typer.Option(metavar="ID", help="Test the key of this cohort.")
    ] = None,
    top_k: Annotated[
        int, typer.Option(metavar="K", help="Predictions scored per position (open-weight).")
    ] = 1,
    max_length: Annotated[
        int, typer.Option(metavar="TOKENS", help="Tokens of each context read (open-weight).")
    ] = 512,
    alpha: Annotated[
        float, typer.Option(metavar="P", help="Call the suspect radioactive at p <= P.")
    ] = 1e-6,
    name: Annotated[
        str | None, typer.Option(metavar="NAME", help="The suspect's name in reports and STIX.")
    ] = None,
    report: Annotated[
        Path | None, typer.Option(metavar="FILE", help="Write an HTML report here.")
    ] = None,
    stix: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="Write the finding as a STIX 2.1 bundle (no keys)."),
    ] = None,
    provider: Annotated[
        str, typer.Option(metavar="NAME", help="Our name in the STIX bundle.")
    ] = "provider",
    tlp: Annotated[
        str, typer.Option(metavar="LEVEL", help="TLP of the bundle: white, green, amber, red.")
    ] = "amber",
    json_out: Annotated[
        Path | None, typer.Option("--json", metavar="FILE", help="Write results as JSON.")
    ] = None,
) -> None:
    """Was a model trained on our watermarked answers? (radioactivity test)

    Open-weight (--model, --contexts): the model reads texts, and its top-k
    next-token guesses are scored as (context, token) pairs; pairs it could
    copy from the text it was shown are left out.  Closed (--samples): its
    answers are tested as text.  Either way the p-value is exact under "never
    learned from this key's watermark".

    Examples:
      distillguard watermark provenance --key wm-key.yaml --model suspect/ \\
        --contexts served.jsonl
      distillguard watermark provenance --key wm-key.yaml --samples answers.jsonl \\
        --tokenizer tokenizer.json
    """
    from distillguard.provenance.detect import pvalue_curve, score_pairs, text_pairs
    from distillguard.provenance.inputs import read_texts, token_ids
    from distillguard.provenance.radioactivity import teacher_forced_pairs
    from distillguard.provenance.report import Curve, render_report
    from distillguard.provenance.share import (
        Finding,
        assert_no_secrets,
        finding_bundle,
        pairs_digest,
    )

    if (model is None) == (not samples):
        raise ProvenanceError("give either --model (with --contexts) or --samples")
    secret = ProviderSecret.load(key)
    wkey = pick_key(secret, account, cohort)
    cfg = secret.config
    weights = None
    if model is not None:
        seqs, preds, weights = _model_pairs(model, contexts or [], tokenizer, top_k, max_length)
        pairs = teacher_forced_pairs(seqs, preds, cfg.context_width)
        test = "open-weight"
    else:
        enc = None
        if tokenizer is not None:
            from distillguard.provenance.suspect import load_tokenizer

            enc = load_tokenizer(tokenizer).encode
        pairs = text_pairs(cfg, token_ids(read_texts(samples or []), enc))
        test = "closed"
    d = score_pairs(wkey, cfg, pairs)
    suspect = name or (model.name if model is not None else "closed suspect")
    verdict = d.p_value <= alpha
    console.print(
        f"{suspect} ({test}): {d.n_green}/{d.n_scored} pairs green "
        f"(expected {cfg.gamma:.0%}), p = {d.p_value:.3g} (log10 {d.log10_p:.1f}) → "
        + ("[bold red]carries our watermark[/]" if verdict else "no evidence at this alpha"),
        highlight=False,
    )
    result = {"suspect": suspect, "test": test, "key": wkey.key_id, "alpha": alpha,
              "radioactive": verdict, **d.as_dict()}  # fmt: skip
    emit(result, json_out)
    if stix is not None:
        finding = Finding(
            suspect=suspect, test=test, detection=d, config=cfg, keys=[wkey],
            pairs_sha256=pairs_digest(pairs), weights_sha256=weights,
        )  # fmt: skip
        bundle = finding_bundle(finding, provider, tlp=tlp)  # type: ignore[arg-type]
        text = str(bundle.serialize(pretty=True))
        assert_no_secrets(text, [wkey], [account or ""])
        stix.parent.mkdir(parents=True, exist_ok=True)
        stix.write_text(text + "\n", encoding="utf-8")
        console.print(f"wrote {stix}", highlight=False)
    if report is not None:
        n, lp = pvalue_curve(wkey, cfg, pairs)
        render_report(
            report,
            title=f"Provenance: {suspect}",
            summary=[(k, str(v)) for k, v in result.items()],
            curves=[Curve(f"{suspect} ({test})", n, lp)],
            alpha=alpha,
        )
        console.print(f"wrote {report}", highlight=False)


@wm_app.command("attribute")
@friendly
def attribute_cmd(
    key: Annotated[Path, typer.Option(metavar="FILE", help=KEY_HELP)],
    accounts: Annotated[
        Path,
        typer.Option(
            metavar="FILE",
            help="Candidate ids: one per line, or an account_id column (CSV, JSON Lines, Parquet).",
        ),
    ],
    data: Annotated[
        list[Path] | None,
        typer.Option(metavar="FILE", help="A dataset of texts to attribute (repeatable)."),
    ] = None,
    model: Annotated[
        Path | None,
        typer.Option(metavar="PATH", help="An open-weight suspect (Hugging Face folder or GGUF)."),
    ] = None,
    contexts: Annotated[
        list[Path] | None,
        typer.Option(metavar="FILE", help="Texts to read the suspect on (repeatable)."),
    ] = None,
    tokenizer: Annotated[Path | None, typer.Option(metavar="PATH", help=TOKENIZER_HELP)] = None,
    cohorts: Annotated[
        bool, typer.Option("--cohorts", help="The ids are cohorts, not accounts.")
    ] = False,
    alpha: Annotated[
        float, typer.Option(metavar="P", help="Family-wise error over all candidates.")
    ] = 1e-3,
    method: Annotated[
        str, typer.Option(metavar="NAME", help="Correction: holm or bonferroni.")
    ] = "holm",
    top_k: Annotated[
        int, typer.Option(metavar="K", help="Predictions scored per position (open-weight).")
    ] = 1,
    max_length: Annotated[
        int, typer.Option(metavar="TOKENS", help="Tokens of each context read (open-weight).")
    ] = 512,
    name: Annotated[
        str | None, typer.Option(metavar="NAME", help="The suspect's name in reports and STIX.")
    ] = None,
    report: Annotated[
        Path | None, typer.Option(metavar="FILE", help="Write an HTML report here.")
    ] = None,
    stix: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE", help="Write the finding as a STIX 2.1 bundle (no ids, no keys)."
        ),
    ] = None,
    provider: Annotated[
        str, typer.Option(metavar="NAME", help="Our name in the STIX bundle.")
    ] = "provider",
    tlp: Annotated[
        str, typer.Option(metavar="LEVEL", help="TLP of the bundle: white, green, amber, red.")
    ] = "amber",
    json_out: Annotated[
        Path | None, typer.Option("--json", metavar="FILE", help="Write results as JSON.")
    ] = None,
) -> None:
    """Which candidate accounts' answers does a dataset or a model carry?

    Every candidate's derived key is tested on the same scored pairs; Holm's
    correction keeps the chance of naming any account whose answers were not
    used at or below --alpha.

    Examples:
      distillguard watermark attribute --key wm-key.yaml --accounts campaign.csv \\
        --data leaked.jsonl --tokenizer tokenizer.json
      distillguard watermark attribute --key wm-key.yaml --accounts ids.txt \\
        --model student/ --contexts served.jsonl
    """
    from distillguard.provenance.attribution import account_keys, attribute
    from distillguard.provenance.detect import Detection, text_pairs
    from distillguard.provenance.inputs import read_ids, read_texts, token_ids
    from distillguard.provenance.radioactivity import teacher_forced_pairs
    from distillguard.provenance.report import render_report
    from distillguard.provenance.share import (
        Finding,
        assert_no_secrets,
        finding_bundle,
        pairs_digest,
    )

    if (model is None) == (not data):
        raise ProvenanceError("give either --data or --model (with --contexts)")
    secret = ProviderSecret.load(key)
    cfg = secret.config
    ids = read_ids(accounts)
    keys = account_keys(secret, ids, "cohort" if cohorts else "account")
    weights = None
    if model is not None:
        seqs, preds, weights = _model_pairs(model, contexts or [], tokenizer, top_k, max_length)
        pairs = teacher_forced_pairs(seqs, preds, cfg.context_width)
        test = "open-weight"
    else:
        enc = None
        if tokenizer is not None:
            from distillguard.provenance.suspect import load_tokenizer

            enc = load_tokenizer(tokenizer).encode
        pairs = text_pairs(cfg, token_ids(read_texts(data or []), enc))
        test = "data"
    att = attribute(pairs, keys, cfg, alpha=alpha, method=method)
    hits = att.attributed
    suspect = name or (model.name if model is not None else "dataset")
    console.print(
        f"{suspect}: {len(hits)} of {len(ids):,} candidates attributed at family-wise "
        f"error {alpha:g} ({method}); {att.n_scored:,} pairs scored",
        highlight=False,
    )
    for r in att.rows(top=max(len(hits), 5)):
        console.print(
            f"  {r['candidate']}: {r['n_green']}/{r['n_scored']} green, "
            f"p = {r['p_value']:.3g}, adjusted {r['adjusted_p']:.3g}"
            + ("  [bold red]attributed[/]" if r["attributed"] else ""),
            highlight=False,
        )
    emit({"suspect": suspect, "test": test, "alpha": alpha, "method": method,
          "attributed": hits, "candidates": att.rows()}, json_out)  # fmt: skip
    if stix is not None and hits:
        best = att.candidates.index(hits[0])
        # The shared p-value is the Holm-adjusted one: it already pays for the
        # number of candidates tested.
        d = Detection(
            n_tokens=att.n_scored,
            n_scored=att.n_scored,
            n_green=int(att.n_green[best]),
            gamma=cfg.gamma,
            p_value=float(att.adjusted[best]),
            # m * p bounds Holm's adjustment and stays finite where p underflows.
            log10_p=min(0.0, float(att.log10_p[best]) + float(np.log10(len(ids)))),
        )
        finding = Finding(
            suspect=suspect, test=test, detection=d, config=cfg,
            keys=[keys[h] for h in hits], pairs_sha256=pairs_digest(pairs),
            weights_sha256=weights, candidates=len(ids), attributed=len(hits),
            alpha=alpha, method=method,
        )  # fmt: skip
        bundle = finding_bundle(finding, provider, tlp=tlp)  # type: ignore[arg-type]
        text = str(bundle.serialize(pretty=True))
        assert_no_secrets(text, list(keys.values()), ids)
        stix.parent.mkdir(parents=True, exist_ok=True)
        stix.write_text(text + "\n", encoding="utf-8")
        console.print(f"wrote {stix}", highlight=False)
    elif stix is not None:
        console.print("no account attributed: no STIX finding written", highlight=False)
    if report is not None:
        render_report(
            report,
            title=f"Attribution: {suspect}",
            summary=[
                ("test", test),
                ("candidates", f"{len(ids):,}"),
                ("pairs scored", f"{att.n_scored:,}"),
                (f"attributed ({method}, FWER {alpha:g})", ", ".join(hits) or "none"),
                ("global p (any candidate)", f"{att.global_p:.3g}"),
            ],
            attribution=att,
        )
        console.print(f"wrote {report}", highlight=False)
