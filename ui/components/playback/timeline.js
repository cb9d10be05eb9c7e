// Time in the playback: the position among the epochs (fractional between two of them), played
// at a steady pace or gliding to a scrubbed or picked epoch, advanced once per animation frame.

import { STATS_KEPT } from "../explorer/constants.js";
import { ease } from "./frames.js";

const FRAMES_PER_SECOND = 6; // epochs per second while playing
const SEEK_MS = 180; // a scrubber move or a keyframe jump glides this long

export class Timeline {
  // count: the number of frames; pos: where to start; draw(): draws the frame at `pos`;
  // onPlaying(playing): the play button's label; probe: {intervals, draws} the bench reads
  constructor(count, pos, draw, onPlaying, probe) {
    this.count = count;
    this.pos = Math.min(pos ?? count - 1, count - 1);
    this.draw = draw;
    this.onPlaying = onPlaying;
    this.probe = probe;
    this.playing = false;
    this.glide = null; // {from, to, t0}
    this.raf = null;
    this.last = null; // the previous frame's time
  }

  get still() { return !this.playing && !this.glide; } // at rest: keyframes may decode

  play() {
    if (this.pos >= this.count - 1) this.pos = 0; // from the start again
    this.playing = true;
    this.onPlaying(true);
    this.kick();
  }

  pause() {
    this.playing = false;
    this.onPlaying(false);
  }

  seek(to) {
    this.glide = { from: this.pos, to: Math.max(0, Math.min(this.count - 1, to)), t0: performance.now() };
    this.kick();
  }

  kick() {
    if (this.raf === null) {
      this.last = null;
      this.raf = requestAnimationFrame((t) => this.tick(t));
    }
  }

  tick(now) {
    const dt = this.last === null ? 0 : Math.max(0, now - this.last); // rAF's time may precede kick's
    this.last = now;
    if (this.playing) {
      this.pos = Math.min(this.count - 1, this.pos + (dt / 1000) * FRAMES_PER_SECOND);
      if (this.pos >= this.count - 1) this.pause();
    } else if (this.glide) {
      const t = Math.min(1, (now - this.glide.t0) / SEEK_MS);
      this.pos = this.glide.from + (this.glide.to - this.glide.from) * ease(t);
      if (t >= 1) this.glide = null;
    }
    const start = performance.now();
    this.draw();
    if (dt > 0) this.record(dt, performance.now() - start); // the first tick has no interval
    this.raf = this.playing || this.glide ? requestAnimationFrame((t) => this.tick(t)) : null;
  }

  record(interval, draw) {
    const p = this.probe;
    p.intervals.push(interval);
    p.draws.push(draw);
    if (p.intervals.length > STATS_KEPT) { p.intervals.shift(); p.draws.shift(); }
  }

  stop() {
    if (this.raf !== null) cancelAnimationFrame(this.raf);
    this.raf = null;
  }
}
