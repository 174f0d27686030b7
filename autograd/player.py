"""A player for pre-rendered frames that needs no kernel and no network: plain HTML, CSS and a little JavaScript.

:meth:`autograd.Stepper.to_html` and the stepper's ``_repr_html_`` use it. Every frame is in the page (inline SVG),
all but one hidden; the buttons and the slider only choose which one shows. Without JavaScript (GitHub's notebook
view) the first frame shows and the buttons do nothing. Keys: left/right arrows, Home, End, space to play.
"""

from __future__ import annotations

import html

from .style import COLORS

__all__ = ["player", "document"]

_STYLE = """
.cr-player{font-family:Helvetica,Arial,sans-serif;font-size:14px;max-width:100%}
.cr-player .cr-controls{display:flex;flex-wrap:wrap;align-items:center;gap:6px;margin:4px 0 8px 0}
.cr-player button{font-size:14px;padding:3px 10px;cursor:pointer}
.cr-player input[type=range]{flex:1 1 200px;min-width:120px}
.cr-player .cr-pos{min-width:9em;font-variant-numeric:tabular-nums}
.cr-player table{border-collapse:collapse;margin:4px 0}
.cr-player th,.cr-player td{border:1px solid #ccc;padding:2px 6px;text-align:left;vertical-align:top}
.cr-player .cr-key{color:#555;font-size:12px;margin:2px 0}
.cr-player.cr-fit .cr-svg svg{max-width:100%;height:auto}
"""

# ``document.currentScript`` finds this player's own box, so several players on one page (or in one notebook)
# work independently; ids are not needed.
_SCRIPT = """
(function () {
  var box = document.currentScript.parentNode;
  var frames = box.querySelectorAll(':scope > .cr-frames > .cr-frame');
  var slider = box.querySelector('.cr-slider'), pos = box.querySelector('.cr-pos');
  var playButton = box.querySelector('[data-go=play]'), n = frames.length, k = 0, timer = null;
  var off = parseInt(box.getAttribute('data-offset'), 10) || 0;  // frame 0 is step `off` of `total` steps
  var total = parseInt(box.getAttribute('data-total'), 10) || n;
  function focus(frame) {  // scroll a wide picture so that the node whose turn it is is in view
    var view = frame.querySelector('.cr-svg'), hot = frame.querySelector('g.node [stroke="HIGHLIGHT"]');
    if (!view || !hot) return;
    var r = hot.getBoundingClientRect(), v = view.getBoundingClientRect();
    view.scrollLeft += (r.left + r.width / 2) - (v.left + v.width / 2);
    view.scrollTop += (r.top + r.height / 2) - (v.top + v.height / 2);
  }
  function show(j) {
    k = Math.max(0, Math.min(n - 1, j));
    for (var i = 0; i < n; i++) frames[i].style.display = (i === k) ? '' : 'none';
    slider.value = k;
    box.setAttribute('data-step', k);
    pos.textContent = 'step ' + (k + off) + ' of 0\\u2013' + (total - 1);
    focus(frames[k]);
  }
  function stop() { if (timer) { clearInterval(timer); timer = null; } playButton.textContent = '\\u25b6 play'; }
  function play() {
    if (timer) { stop(); return; }
    if (k >= n - 1) show(0);
    playButton.textContent = '|| pause';
    timer = setInterval(function () { if (k >= n - 1) stop(); else show(k + 1); }, 1200);
  }
  var go = {first: function () { return 0; }, prev: function () { return k - 1; },
            next: function () { return k + 1; }, last: function () { return n - 1; }};
  box.querySelectorAll('button[data-go]').forEach(function (b) {
    b.addEventListener('click', function () {
      var what = b.getAttribute('data-go');
      if (what === 'play') { play(); }
      else if (what === 'fit') { box.classList.toggle('cr-fit'); focus(frames[k]); }
      else { stop(); show(go[what]()); }
    });
  });
  slider.addEventListener('input', function () { stop(); show(parseInt(slider.value, 10)); });
  box.addEventListener('keydown', function (e) {
    var keys = {ArrowLeft: 'prev', ArrowRight: 'next', Home: 'first', End: 'last'};
    if (keys[e.key]) { stop(); show(go[keys[e.key]]()); e.preventDefault(); }
    else if (e.key === ' ') { play(); e.preventDefault(); }
  });
  show(parseInt(box.getAttribute('data-start'), 10) || 0);
})();
"""

_KEY = ("<p class='cr-key'>orange: the node whose turn it is and the edges it sends gradients down; "
        "green border: gradient final (every consumer has sent its share); <code>so far</code>: a partial sum "
        "still waiting for consumers; <code>?</code>: not reached yet</p>")


def player(frames: list[str], nodes: list[str], *, start: int = 0, offset: int = 0, total: int | None = None,
           note: str = "") -> str:
    """An HTML fragment (for a notebook output) that shows ``frames`` one at a time. ``nodes[k]`` is the drawing
    id (``n7``) of the node frame ``k`` is about; it becomes the frame's ``data-node`` attribute. When the frames
    are a window of a longer walk, frame 0 is step ``offset`` of ``total`` and ``note`` (HTML) says so."""
    if not frames:
        raise ValueError("player: there must be at least one frame")
    if len(nodes) != len(frames):
        raise ValueError(f"player: {len(frames)} frames but {len(nodes)} node ids")
    last = len(frames) - 1
    start = min(max(start, 0), last)
    total = len(frames) if total is None else total
    buttons = "".join(f"<button type='button' data-go='{go}'>{text}</button>" for go, text in
                      (("first", "|&#x25C0; first"), ("prev", "&#x25C0; prev"), ("play", "&#x25B6; play"),
                       ("next", "next &#x25B6;"), ("last", "last &#x25B6;|"),
                       ("fit", "fit width / full size")))
    controls = (f"<div class='cr-controls'>{buttons}"
                f"<input class='cr-slider' type='range' min='0' max='{last}' step='1' value='{start}' "
                f"aria-label='step'><span class='cr-pos'>step {start + offset} of 0&#x2013;{total - 1}</span></div>")
    hidden = " style='display:none'"
    shown = "".join(
        f"<div class='cr-frame' data-k='{k}' data-node='{html.escape(node)}'{'' if k == start else hidden}>"
        f"{frame}</div>" for k, (frame, node) in enumerate(zip(frames, nodes)))
    return (f"<div class='cr-player' tabindex='0' data-start='{start}' data-step='{start}' data-offset='{offset}' "
            f"data-total='{total}'><style>{_STYLE}</style>{controls}{note}{_KEY}<div class='cr-frames'>{shown}</div>"
            f"<script>{_SCRIPT.replace('HIGHLIGHT', COLORS['highlight'])}</script></div>")


def document(fragment: str, *, title: str) -> str:
    """A complete HTML page around a player fragment."""
    return ("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            f"<title>{html.escape(title)}</title></head>\n<body>{fragment}</body></html>\n")
