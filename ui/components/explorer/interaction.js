// The pointer on one map: hover, click, drag from a point, pan from empty space, wheel zoom,
// double-click to fit. Turns events into calls on `on` (all in css px inside the map):
//   move(px, py, event)     the pointer moved (not while panning)
//   leave()                 it left the map
//   click(px, py)           pressed and released without moving
//   drag(from, px, py, e)   moving with the button down, having pressed on point `from`
//   drop(from, px, py)      released after such a drag
//   redraw()                the view changed (pan, zoom, fit): draw again, once per frame
// Without on.drag, a drag from a point pans like one from empty space.

import { DRAG_THRESHOLD } from "./constants.js";

export function listen(box, view, on) {
  // -> a function that removes every listener
  const offs = [];
  const add = (type, fn, opts) => {
    box.addEventListener(type, fn, opts);
    offs.push(() => box.removeEventListener(type, fn, opts));
  };
  const local = (e) => { const r = box.getBoundingClientRect(); return [e.clientX - r.left, e.clientY - r.top]; };
  let press = null; // {from, px, py, moved, view}
  let queued = false;
  const redraw = () => { // wheel and pan events come faster than frames: one redraw per frame
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => { queued = false; on.redraw(); });
  };

  add("pointerdown", (e) => {
    if (!view.view || e.button !== 0) return;
    const [px, py] = local(e);
    box.setPointerCapture(e.pointerId);
    const from = on.drag ? view.nearestVisible(px, py) : null;
    press = { from, px, py, moved: false, view: { ...view.view } };
  });
  add("pointermove", (e) => {
    if (!view.view) return;
    const [px, py] = local(e);
    if (press && !press.moved && Math.hypot(px - press.px, py - press.py) > DRAG_THRESHOLD) press.moved = true;
    if (press && press.moved && press.from == null) {
      view.panFrom(press.view, px - press.px, py - press.py);
      return redraw();
    }
    if (press && press.moved) return on.drag(press.from, px, py, e);
    on.move(px, py, e);
  });
  add("pointerup", (e) => {
    const done = press;
    press = null;
    if (!done || !view.view) return;
    const [px, py] = local(e);
    if (!done.moved) on.click(px, py);
    else if (done.from != null) on.drop(done.from, px, py);
  });
  add("pointerleave", () => { if (!press) on.leave(); });
  add("dblclick", () => { view.fit(); redraw(); });
  add("wheel", (e) => {
    if (!view.view) return;
    e.preventDefault();
    view.zoomAt(...local(e), Math.exp(-e.deltaY * 0.0015));
    redraw();
  }, { passive: false });
  return () => offs.forEach((off) => off());
}

export function observeWidth(box, maxHeight, onSize) {
  // The map fills the width it is given and stays square-ish: height = width, at most
  // `maxHeight()` css px. onSize(width, height) after each change of width (and once).
  let last = 0;
  const observer = new ResizeObserver(() => {
    const width = box.getBoundingClientRect().width;
    if (width < 10 || Math.abs(width - last) < 1) return;
    last = width;
    const height = Math.round(Math.min(width, maxHeight()));
    box.style.height = `${height}px`;
    onSize(width, height);
  });
  observer.observe(box);
  return () => observer.disconnect();
}
