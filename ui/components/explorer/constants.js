// Values only the browser uses. Those Python also knows (the class colours, the off-map margin,
// the slider cap, the t-SNE inverse's neighbours) arrive in `data` (ui/explorer.py
// shared_constants), so they are written once.

export const HIT_RADIUS = 7; // css px: the pointer is "over" a point this close to it
export const DRAG_THRESHOLD = 4; // css px moved before a press becomes a drag
export const STRIP_STEPS = 8; // decoded digits along a dragged path
export const STATS_KEPT = 4000; // decode records a probe keeps
export const PIXELS = 784; // a digit: 28 x 28, row-major, values in [0, 1]
