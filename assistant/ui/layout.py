"""The Gradio layout: search, chat, sources and upload tabs wired to :class:`assistant.ui.service.UIService`.

Imported only when the UI starts, so gradio is imported at the top here (its event annotations,
such as ``gr.SelectData``, must resolve from this module's globals).
"""

from __future__ import annotations

import logging

import gradio as gr

from .views import CHART_TOOLTIP, CHART_X, CHART_Y, chart_frame

log = logging.getLogger(__name__)

# Clicking a citation link inside an HTML result sends its data-cite value as a select event.
CITE_JS = """
element.addEventListener('click', (event) => {
  const link = event.target.closest('a.cite');
  if (!link || !element.contains(link)) return;
  event.preventDefault();
  trigger('select', {index: 0, value: link.dataset.cite});
});
"""
# Bring the highlighted passage into view whenever a document is opened.
SCROLL_JS = """
watch('value', () => {
  const m = element.querySelector('mark.passage');
  if (m) m.scrollIntoView({block: 'center'});
});
"""
DOC_PLACEHOLDER = ('<div class="notice" dir="rtl">اضغط على أي مرجع لفتح الوثيقة كاملة مع تظليل المقطع. '
                   "(click a citation to open the whole source)</div>")


def layout(service):
    examples = service.examples()  # the collection's own (examples.txt beside its documents); may be none
    # Gradio's copies of uploads are deleted after use (upload.py); delete_cache catches the rest.
    with gr.Blocks(title="المساعد العربي للبحث في الوثائق", analytics_enabled=False,
                   delete_cache=(600, 600)) as demo:
        with gr.Row():
            gr.Markdown("# المساعد العربي للبحث في الوثائق\nابحث في الوثائق المفهرسة واسأل عنها؛ "
                        "كل مقطع وكل إجابة مع مرجعها الدقيق. (Arabic document search & Q&A with citations)",
                        rtl=True)
            who = gr.Markdown("", rtl=True, elem_id="signed-in")
            if service.access.sign_in:
                gr.Button("خروج (sign out)", link="/logout", size="sm", scale=0, elem_id="sign-out")
        banner = gr.Markdown(service.status(), rtl=True, elem_id="status-banner")
        poll = gr.Timer(1.0, active=not service.ready)
        with gr.Tabs():
            with gr.Tab("البحث (search)", id="search"):
                with gr.Row():
                    question = gr.Textbox(label="السؤال (question)", rtl=True, lines=1, scale=4,
                                          placeholder="اكتب سؤالك بالعربية أو بالإنجليزية (Arabic or English)",
                                          elem_id="search-question")
                    k = gr.Slider(1, 20, value=service.config.top_k, step=1, scale=1,
                                  label="عدد النتائج (results)", elem_id="search-k")
                # Choices come with the page's load event, after sign-in: Gradio shows the API
                # description (with a dropdown's choices) on its login page too.
                filters = gr.Dropdown(choices=[], multiselect=True, value=[], allow_custom_value=True,
                                      label="تصفية حسب المصدر أو الوسيلة (filter by source/outlet)",
                                      elem_id="search-filter")
                go = gr.Button("ابحث (search)", variant="primary", elem_id="search-button")
                if examples:
                    gr.Markdown("**أمثلة (examples):**", rtl=True)
                with gr.Row():
                    example_buttons = [gr.Button(q, size="sm", elem_classes=["example"]) for q in examples]
                results = gr.HTML(message_or_empty(), elem_id="search-results", js_on_load=CITE_JS)
                doc_view = gr.HTML(DOC_PLACEHOLDER, elem_id="search-document", js_on_load=SCROLL_JS)

            with gr.Tab("المحادثة (chat)", id="chat"):
                chatbot = gr.Chatbot(label="المحادثة (conversation)", rtl=True, height=480,
                                     elem_id="chatbot", feedback_options=None, latex_delimiters=[],
                                     placeholder="اسأل سؤالاً عن الوثائق؛ "
                                                 "تُبنى الإجابة من المقاطع المسترجعة فقط.")
                # A numeric disagreement of the latest answer, one bar per source: hover for its
                # citation, select (drag across) a bar to open the cited passage below.
                chart_points = gr.State([])
                chart = gr.BarPlot(None, x=CHART_X, y=CHART_Y, tooltip=CHART_TOOLTIP, visible=False,
                                   label="الأرقام حسب المصدر (figures by source)", height=260,
                                   elem_id="chat-chart", elem_classes=["figure-chart"])
                with gr.Row():
                    chat_in = gr.Textbox(label="سؤالك (your question)", rtl=True, scale=4,
                                         elem_id="chat-question")
                    ask = gr.Button("اسأل (ask)", variant="primary", scale=1, elem_id="chat-button")
                    clear = gr.Button("محادثة جديدة (new)", scale=1)
                with gr.Row():
                    chat_examples = [gr.Button(q, size="sm", elem_classes=["example"]) for q in examples[:3]]
                refs = gr.HTML("", elem_id="chat-references", js_on_load=CITE_JS)
                chat_doc = gr.HTML(DOC_PLACEHOLDER, elem_id="chat-document", js_on_load=SCROLL_JS)

            with gr.Tab("المصادر (sources)", id="sources"):
                refresh = gr.Button("تحديث (refresh)", size="sm")
                sources = gr.HTML(service.sources(), elem_id="sources-panel")

            upload_tab = _upload_tab(service) if service.config.uploads and service.access.uploads else None

        # With the micro-batcher, questions of concurrent users must reach it together to share a
        # forward pass; it runs one pass at a time, so more events at once do not fight over the cores.
        together = max(2, service.config.query_batch)
        search_args = dict(fn=service.search, inputs=[question, k, filters], outputs=results,
                           concurrency_limit=together)
        go.click(api_name="search_view", **search_args)
        question.submit(api_name="search_submit", api_visibility="private", **search_args)
        for b, q in zip(example_buttons, examples, strict=True):
            b.click(lambda q=q: q, None, question, api_visibility="private", queue=False).then(
                api_name="search_example", api_visibility="private", **search_args)
        results.select(_opener(service), inputs=question, outputs=doc_view, api_visibility="private",
                       concurrency_limit=None)

        chat_args = dict(fn=service.chat_turn, inputs=[chat_in, chatbot],
                         outputs=[chatbot, chat_in, refs, chart_points], concurrency_limit=together)
        draw = dict(fn=_chart, inputs=chart_points, outputs=chart, api_visibility="private", queue=False)
        ask.click(api_name="chat", **chat_args).then(**draw)
        chat_in.submit(api_name="chat_submit", api_visibility="private", **chat_args).then(**draw)
        for b, q in zip(chat_examples, examples[:3], strict=True):
            b.click(lambda q=q: q, None, chat_in, api_visibility="private", queue=False).then(
                api_name="chat_example", api_visibility="private", **chat_args).then(**draw)
        clear.click(lambda: ([], "", "", DOC_PLACEHOLDER, [], gr.BarPlot(None, visible=False)), None,
                    [chatbot, chat_in, refs, chat_doc, chart_points, chart], api_visibility="private", queue=False)
        chart.select(_chart_opener(service), chart_points, chat_doc, api_visibility="private",
                     concurrency_limit=None)
        refs.select(_opener(service, with_question=False), None, chat_doc, api_visibility="private",
                    concurrency_limit=None)

        def refresh_sources():
            return service.sources(), gr.Dropdown(choices=service.filter_choices())

        refresh.click(refresh_sources, None, [sources, filters], api_visibility="private")
        demo.load(refresh_sources, None, [sources, filters], api_visibility="private")

        def status():
            return service.status(), gr.Timer(active=not service.ready and not service.load_error)

        poll.tick(status, None, [banner, poll], api_visibility="private", queue=False)
        demo.load(status, None, [banner, poll], api_visibility="private", queue=False)

        def role(request: gr.Request):  # what this user may see: the upload tab for editors only
            user = service.access.signed_in(request.username if request else None)
            shown = f"👤 {user.name} ({user.role})" if user and service.access.sign_in else ""
            writer = bool(user and user.can_write)
            return (shown, gr.Tab(visible=writer)) if upload_tab is not None else shown  # one output: no tuple

        demo.load(role, None, [who] + ([upload_tab] if upload_tab is not None else []),
                  api_visibility="private", queue=False)

        gr.api(service.search_api, api_name="search", concurrency_limit=together)
        gr.api(service.ask_api, api_name="ask", concurrency_limit=together)
        gr.api(service.open_citation, api_name="document", concurrency_limit=None)
    return demo


def message_or_empty() -> str:
    return '<div class="notice" dir="rtl">اكتب سؤالاً أو اختر مثالاً، ثم اضغط «ابحث».</div>'


def _opener(service, with_question: bool = True):
    if with_question:
        def open_cited(question: str, evt: gr.SelectData) -> str:
            return service.open_citation(str(evt.value), question)
    else:
        def open_cited(evt: gr.SelectData) -> str:
            return service.open_citation(str(evt.value))
    return open_cited


def _chart(points: list[dict]):
    """The chart of the latest answer's numeric disagreement; hidden when there is none."""
    from ..answer.table import ChartPoint

    parsed = [ChartPoint.from_dict(d) for d in points or []]
    frame = chart_frame(parsed)
    if frame is None:
        return gr.BarPlot(None, visible=False)
    # right to left, like the page: the smallest figure on the right
    return gr.BarPlot(frame, visible=True, sort=[p.label for p in reversed(parsed)], y_lim=[0, None])


def _chart_opener(service):
    def open_bar(points: list[dict], evt: gr.SelectData) -> str:
        return service.open_chart_point(points, evt.value)
    return open_bar


def _upload_tab(service):
    """The upload tab, hidden until the page's load event shows it to an editor."""
    from .upload import upload_panel

    with gr.Tab("إضافة وثائق (upload)", id="upload", visible=False, elem_id="upload-tab") as tab:
        upload_panel(service)
    return tab
