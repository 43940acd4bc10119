"""Content studio: on-brief copy and images, scored for search and readability, sent into an A/B test."""


import pandas as pd
import streamlit as st

from core import content_studio as cs
from core import llm, seo
from core.escape import markdown as md
from pages import _shared

K = "content_studio."
INPUTS = ("brief", "tone", "length", "audience", "segment", "keywords", "n", "templates", "seo_text", "seo_keyword",
          "seo_title", "seo_meta", "experiment")
STATUS_COLOUR = {"good": "rgba(46, 160, 67, 0.25)", "ok": "rgba(210, 153, 34, 0.3)", "bad": "rgba(218, 54, 51, 0.3)"}

# Inputs outlive a visit to another page: widget state is dropped there, so keep a copy and restore it.
for name in INPUTS:
    if K + name not in st.session_state and K + "saved." + name in st.session_state:
        st.session_state[K + name] = st.session_state[K + "saved." + name]
parsed = st.session_state.get("recommendations.parsed")
if not st.session_state.get(K + "brief") and getattr(parsed, "text", ""):
    st.session_state[K + "brief"] = parsed.text  # the objective from the Recommendations page

st.title("Content studio")
cfg, wh = _shared.settings(), _shared.warehouse()
st.session_state.setdefault(K + "length", "medium")
st.session_state.setdefault(K + "n", 3)
st.session_state.setdefault(K + "templates", False)
if not cfg.llm_enabled:
    st.session_state[K + "templates"] = True
if cfg.llm_enabled:
    st.caption(f"AI service: model `{cfg.openai_model.replace('`', chr(39))}` at {md(llm.where(cfg))} "
               "(Chat Completions API). Copy is checked against each platform's limits and scored for SEO.")
else:
    st.info(f"{cs.NO_SERVICE} Until then, **template mode** assembles copy from templates filled with your "
            "brief's product, offer, keywords and call to action: it is not written by AI.",
            icon=":material/cloud_off:")


def _limits_line(spec: cs.PlatformSpec) -> str:
    parts = [f"{f.label} ≤ {f.max}" + (f" (≤ {f.recommended} recommended)" if f.recommended else "")
             if f.max else f"{f.label} (≤ {f.recommended} recommended)" if f.recommended else f.label
             for f in spec.fields.values()]
    if spec.max_hashtags:
        parts.append(f"≤ {spec.max_hashtags} hashtags")
    return "Limits: " + " · ".join(parts)


def _to_editor(gen: cs.Generation, v: cs.Variant) -> None:
    st.session_state[K + "seo_text"] = v.body if gen.request.platform == "blog" else cs.variant_text(v, gen.request.platform)
    st.session_state[K + "seo_title"] = v.headline if gen.request.platform == "blog" else ""
    st.session_state[K + "seo_meta"] = v.description if gen.request.platform == "blog" else ""
    st.session_state[K + "seo_keyword"] = gen.request.keywords[0] if gen.request.keywords else ""


tab_gen, tab_seo, tab_hist = st.tabs(["Generate", "Score a text", "History"])
with tab_gen:
    platform = st.selectbox("Platform", list(cs.PLATFORMS), format_func=lambda p: cs.PLATFORMS[p].label,
                            key=K + "platform")
    spec = cs.PLATFORMS[platform]
    st.caption(_limits_line(spec))
    with st.form(K + "form"):
        st.text_area("Brief", key=K + "brief", height=100, placeholder=(
            "What you promote, for whom, the offer and the action wanted, e.g. 'Promote our dental clinic in "
            "Austin to busy parents, 20% off the first visit, book online.'"))
        c1, c2, c3 = st.columns(3)
        fmt = c1.selectbox("Format", spec.formats, key=K + "format." + platform)
        c2.selectbox("Tone", cs.TONES, key=K + "tone")
        c3.select_slider("Length", list(cs.LENGTHS), key=K + "length")
        c4, c5, c6 = st.columns([2, 2, 1])
        c4.text_input("Audience", key=K + "audience", placeholder="e.g. women 35-54 in Texas")
        segments = cs.segment_names(wh)
        if segments:
            c4.selectbox("or a customer segment", segments, index=None, key=K + "segment", placeholder="None")
        c5.text_input("Keywords (comma-separated)", key=K + "keywords", placeholder="dental clinic, dentist austin")
        c6.number_input("Variants", 1, 10, key=K + "n")
        st.toggle("Template mode (offline, not AI)", disabled=not cfg.llm_enabled, key=K + "templates")
        submitted = st.form_submit_button("Generate", type="primary", icon=":material/edit_note:",
                                          key=K + "generate")
    if submitted:
        with _shared.error_box():
            s = st.session_state
            req = cs.ContentRequest(brief=s[K + "brief"], platform=platform, format=fmt, tone=s[K + "tone"],
                                    audience=s.get(K + "segment") or s[K + "audience"], keywords=cs.split_keywords(s[K + "keywords"]),
                                    length=s[K + "length"], n=int(s[K + "n"]))
            if s[K + "templates"] or not cfg.llm_enabled:
                gen = cs.generate(req, cfg, mode="template")
            else:
                stream = cs.GenerationStream(req, cfg)
                with st.status(f"Writing with {cfg.openai_model}...", expanded=True) as status:
                    st.write_stream(stream)
                    status.update(label="Written; checking limits and scoring", state="complete", expanded=False)
                gen = stream.result()
            cs.save_generation(wh, gen)
            s[K + "result"] = gen
            s.pop(K + "history_pick", None)  # the history shows the newest generation

    gen = st.session_state.get(K + "result")
    if gen is not None:
        st.subheader(f"{len(gen.variants)} variants · {gen.spec.label}")
        if gen.mode == "llm":
            st.caption(gen.label)
        else:
            st.warning(gen.label, icon=":material/description:")
        chosen: list[cs.Variant] = []
        for i, v in enumerate(gen.variants):
            with st.container(border=True, key=f"{K}variant.{i}"):
                left, right = st.columns([5, 1])
                for name, lim in gen.spec.fields.items():
                    value = getattr(v, name)
                    cap = lim.max or lim.recommended
                    if name in gen.spec.assets:  # a responsive search ad: every headline / description
                        items = getattr(v, name + "s") or [value]
                        left.markdown(f"**{lim.label}s** ({len(items)}, each at most {cap}): "
                                      + " · ".join(md(a) for a in items))
                    elif value and (name != "body" or gen.request.platform != "blog"):
                        # generated text is shown as text: an answer must not draw images or links
                        left.markdown(f"**{lim.label}** ({len(value)}{f'/{cap}' if cap else ''}): {md(value)}")
                if gen.request.platform == "blog" and v.body:
                    with left.expander("Post"):
                        st.markdown(v.body)
                if v.hashtags:
                    left.markdown(" ".join(f"`#{h}`" for h in v.hashtags))
                for flag in v.flags:
                    left.caption(f":orange[{flag}]")
                right.metric("SEO score", "-" if v.score is None else v.score)
                if right.checkbox("Use in a test", key=f"{K}pick.{gen.generation_id}.{i}"):
                    chosen.append(v)
                right.button("Score in editor", key=f"{K}edit.{i}", on_click=_to_editor, args=(gen, v))
        _shared.download_json(gen.to_payload(), "content-variants", key=K + "dl_variants", label="Variants (JSON)")

        st.subheader("Variants into an A/B test")
        name = st.text_input("Experiment name", key=K + "experiment", placeholder="e.g. Dental RSA, May")
        if len(chosen) < 2:
            st.caption("Tick 'Use in a test' on two or more variants.")
        elif name.strip():
            with _shared.error_box():
                payload = cs.experiment_payload(name, gen.request.platform, chosen)
                c1, c2 = st.columns([1, 3])
                with c1:
                    _shared.download_json(payload, "experiment", key=K + "dl_experiment", label="Experiment (JSON)")
                if c2.button("Create the experiment", key=K + "create_experiment", icon=":material/science:"):
                    eid = cs.create_experiment(wh, payload)
                    st.success(f"Experiment '{md(eid)}' created with {len(chosen)} arms.")
                    st.page_link("pages/bandits.py", label="Open A/B bandits", icon=":material/science:")

    with st.expander("Image", icon=":material/image:"):
        if not cfg.llm_enabled:
            st.info(cs.IMAGES_NEED_SERVICE)
        else:
            if gen is not None:
                st.session_state.setdefault(K + "image_prompt", f"An advertising photo for: {gen.request.brief}")
            prompt = st.text_area("Describe the image", key=K + "image_prompt", height=70,
                                  help="The same description is never paid for twice: images are cached on disk.")
            if st.button("Create image", key=K + "image_go", icon=":material/brush:"):
                with _shared.error_box(), st.spinner("Creating the image..."):
                    st.session_state[K + "image"] = cs.generate_image(prompt, cfg)
            img = st.session_state.get(K + "image")
            if img is not None and img.path.exists():
                st.image(img.data, caption=("From the cache (no new cost): " if img.cached else "") + img.prompt)
                st.download_button("Download image", img.data, img.path.name, key=K + "image_dl",
                                   icon=":material/download:")

with tab_seo:
    st.caption("Paste any text (plain, markdown or HTML) or send a variant here; it is re-scored whenever "
               "you change it.")
    c1, c2, c3 = st.columns([1, 2, 2])
    kw = c1.text_input("Focus keyword", key=K + "seo_keyword")
    title = c2.text_input("Title", key=K + "seo_title")
    meta = c3.text_input("Meta description", key=K + "seo_meta")
    text = st.text_area("Text", key=K + "seo_text", height=260)
    if text.strip():
        with _shared.error_box():
            report = seo.score_text(text, keyword=kw or None, title=title or None, meta=meta or None)
            m1, m2, m3, m4 = st.columns(4)
            m1.metric("Score", f"{report.score}/100")
            m2.metric("Flesch reading ease", f"{report.flesch_reading_ease:.1f}")
            m3.metric("Keyword density", "-" if report.keyword_density is None else f"{report.keyword_density:.2f}%")
            m4.metric("Words", report.words)
            checks = pd.DataFrame([{**c, "value": str(c["value"])} for c in report.to_dict()["checks"]])
            st.dataframe(checks[["label", "status", "value", "target", "suggestion"]]
                         .style.map(lambda v: f"background-color: {STATUS_COLOUR.get(v, '')}", subset=["status"]),
                         hide_index=True, width="stretch", key=K + "seo_checks")
            fixes = checks[checks["status"] != "good"]
            if len(fixes):
                st.markdown("**What to fix**\n" + "\n".join(f"- **{r.label}** ({r.status}): {md(r.suggestion)}"
                                                             for r in fixes.itertuples()))
            _shared.download_buttons(checks, "seo-checks", key=K + "dl_seo")

with tab_hist:
    hist = cs.load_history(wh)
    if not len(hist):
        st.info("No generations yet: every generation is kept here with its inputs, output, model and score.")
    else:
        view = hist[["created_at", "mode", "model", "platform", "tone", "n_variants", "best_score", "brief"]]
        st.dataframe(view, hide_index=True, width="stretch", key=K + "history")
        _shared.download_buttons(hist, "content-history", key=K + "dl_history")
        pick = st.selectbox("Show a generation", hist["generation_id"], key=K + "history_pick",
                            format_func=lambda g: f"{hist.set_index('generation_id').at[g, 'created_at']:%Y-%m-%d %H:%M}"
                                                  f" · {hist.set_index('generation_id').at[g, 'platform']}")
        row = hist.set_index("generation_id").loc[pick]
        st.dataframe(pd.DataFrame([v.to_dict() for v in cs.history_variants(row)]), hide_index=True,
                     width="stretch", key=K + "history_variants")

for name in INPUTS:
    if K + name in st.session_state:
        st.session_state[K + "saved." + name] = st.session_state[K + name]
