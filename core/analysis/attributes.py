"""Attributes of handwriting measured on images, and latent directions along which they grow.

``measure(images)`` reads four numbers off each digit (slant, stroke thickness, ink box width and
height). ``direction(codes, values)`` fits the latent direction along which an attribute grows;
``class_preserving_direction(codes, values, labels)`` does the same while holding the codes'
class-discriminant scores fixed, so that a walk changes the handwriting and not the digit.
``class_edit_directions`` averages per-digit edit directions (a shear, a dilation) over each
class: one direction per class. ``walk(z, v, scale)`` gives the codes z + alpha v with alpha
from -2 to +2 standard deviations.

Images: uint8 ``[N, 28, 28]`` or float ``[N, 1, 28, 28]`` / ``[N, 28, 28]`` in [0, 1]. Codes are
float arrays ``[N, k]``; directions are unit vectors ``[k]`` (float64).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import ndimage
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

from core.analysis.metrics import ArrayLike, as_unit_images, to_numpy

ATTRIBUTES = ("slant", "thickness", "width", "height")
INK_THRESHOLD = 0.5  # a pixel is ink for the box when its intensity is above this
WALK_STEPS = 9
WALK_SPAN = 2.0  # the walk covers alpha in [-WALK_SPAN, +WALK_SPAN] standard deviations
EDIT_SHEAR = 0.3  # local slant direction: the code of the digit sheared by +-0.3 (17 degrees)


def slant(x: np.ndarray) -> np.ndarray:
    """Shear of the ink from second-order central moments: -mu11 / mu02, float64 [N].

    mu11 = E[(c - c0)(r - r0)] and mu02 = E[(r - r0)^2] over pixel (row r, column c) weighted
    by intensity. The slope of the columns on the rows is mu11 / mu02; rows grow downwards, so
    the minus sign makes a digit whose top leans to the right positive. For an upright digit
    sheared by c' = c + s (r0 - r) it is exactly s (the tangent of the lean from vertical):
    the quantity deskewing undoes (LeCun et al.'s MNIST deslanting). NaN for an empty image.
    """
    rows = np.arange(x.shape[1], dtype=np.float64)[None, :, None]  # [1, H, 1]
    cols = np.arange(x.shape[2], dtype=np.float64)[None, None, :]  # [1, 1, W]
    mass = x.sum(axis=(1, 2))  # [N]
    with np.errstate(invalid="ignore", divide="ignore"):
        r0 = (x * rows).sum(axis=(1, 2)) / mass  # [N]
        c0 = (x * cols).sum(axis=(1, 2)) / mass
        dr = rows - r0[:, None, None]  # [N, H, 1]
        dc = cols - c0[:, None, None]  # [N, 1, W]
        mu11 = (x * dr * dc).sum(axis=(1, 2)) / mass
        mu02 = (x * dr**2).sum(axis=(1, 2)) / mass
        return -mu11 / mu02


def thickness(x: np.ndarray) -> np.ndarray:
    """Mean stroke width in pixels: ink area over half the ink's perimeter, float64 [N].

    A stroke of width w and length L has area w L and perimeter about 2 L, so
    2 * area / perimeter = w (ink area over skeleton length, with the length read off the
    outline instead of a skeleton). The perimeter of a grey image is its total variation,
    sum |grad x| (central differences): by the coarea formula the mean perimeter of its level
    sets, so the measure changes smoothly as a decoder thickens a stroke. End caps and
    crossings bias it down by a fraction of a pixel. NaN for an empty image.
    """
    d_rows, d_cols = np.gradient(x, axis=(1, 2))
    perimeter = np.sqrt(d_rows**2 + d_cols**2).sum(axis=(1, 2))  # [N]
    with np.errstate(invalid="ignore", divide="ignore"):
        return 2.0 * x.sum(axis=(1, 2)) / perimeter


def _box_extent(ink: np.ndarray) -> np.ndarray:
    """[N, L] booleans (any ink in each row or column) -> extent in pixels [N], 0 when empty."""
    n, length = ink.shape
    first = ink.argmax(axis=1)
    last = length - 1 - ink[:, ::-1].argmax(axis=1)
    return np.where(ink.any(axis=1), last - first + 1, 0).astype(np.float64)


def measure(images: ArrayLike) -> dict[str, np.ndarray]:
    """Each attribute of ATTRIBUTES for each image: name -> float64 [N].

    ``width`` and ``height`` are the sides of the box around pixels above INK_THRESHOLD.
    """
    x = as_unit_images(images)  # float64 [N, 28, 28] in [0, 1]
    ink = x > INK_THRESHOLD
    return {
        "slant": slant(x),
        "thickness": thickness(x),
        "width": _box_extent(ink.any(axis=1)),
        "height": _box_extent(ink.any(axis=2)),
    }


# --- directions in the latent space ------------------------------------------------------------


def _unit(v: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(v)
    if norm < 1e-12:
        raise ValueError("the attribute does not vary linearly with the codes: no direction")
    return v / norm


def _regression(codes: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Least-squares slope b of values ~ a + codes @ b, float64 [k]."""
    z = np.asarray(codes, dtype=np.float64)
    y = np.asarray(values, dtype=np.float64)
    if z.ndim != 2 or y.shape != (len(z),):
        raise ValueError(f"need codes [N, k] and values [N], got {z.shape} and {y.shape}")
    keep = np.isfinite(y)  # empty images have NaN attributes
    z, y = z[keep], y[keep]
    return np.linalg.lstsq(z - z.mean(axis=0), y - y.mean(), rcond=None)[0]


def direction(codes: ArrayLike, values: ArrayLike) -> np.ndarray:
    """The unit direction [k] along which a linear regression of the attribute grows fastest.

    Regressing the attribute on the codes puts class differences into the direction too (if
    sevens lean more than ones, the slant direction points partly from ones to sevens): see
    ``class_preserving_direction``.
    """
    return _unit(_regression(to_numpy(codes), to_numpy(values)))


def class_directions(codes: ArrayLike, labels: ArrayLike) -> np.ndarray:
    """The discriminant directions of Fisher's LDA, float64 [k, m] with m = min(k, classes - 1):
    the linear functions of a code that separate the classes best."""
    z, y = np.asarray(to_numpy(codes), dtype=np.float64), to_numpy(labels)
    lda = LinearDiscriminantAnalysis(solver="svd").fit(z, y)
    return lda.scalings_[:, : min(z.shape[1], len(lda.classes_) - 1)]


def class_preserving_direction(
    codes: ArrayLike, values: ArrayLike, labels: ArrayLike
) -> np.ndarray:
    """The unit direction [k] along which the attribute grows fastest while every LDA score
    of the code stays fixed: W^T v = 0 for the discriminant directions W [k, m].

    Two changes from ``direction``: the regression is fitted within classes (codes and values
    centred on their class means, so class differences in the attribute are not counted), and
    the slope b is projected on the null space of W^T, which is the v maximising b . v there.
    A k-D code keeps k - 9 dimensions for ten classes; k must be at least 10.
    """
    z = np.asarray(to_numpy(codes), dtype=np.float64)
    y = np.asarray(to_numpy(values), dtype=np.float64)
    c = to_numpy(labels)
    classes = np.unique(c)
    if z.shape[1] <= len(classes) - 1:
        raise ValueError(
            f"a {z.shape[1]}-D code has no direction that keeps all {len(classes) - 1} "
            f"discriminant scores of {len(classes)} classes fixed"
        )
    zc, yc = z.copy(), y.copy()
    for k in classes:  # within-class centring
        members = c == k
        zc[members] -= z[members].mean(axis=0)
        yc[members] -= np.nanmean(y[members])
    slope = _regression(zc, yc)
    w = class_directions(z, c)  # [k, m]
    q, _ = np.linalg.qr(w)  # orthonormal basis of span(W)
    return _unit(slope - q @ (q.T @ slope))


def group_vector(codes_a: ArrayLike, codes_b: ArrayLike) -> np.ndarray:
    """The mean code of group a minus that of group b, [k], not normalised: Latent Space
    Cartography's attribute vector from two selections keeps the groups' distance."""
    a, b = np.asarray(to_numpy(codes_a)), np.asarray(to_numpy(codes_b))
    if not len(a) or not len(b):
        raise ValueError("both groups need at least one digit")
    return a.mean(axis=0) - b.mean(axis=0)


def shear(images: ArrayLike, s: float) -> np.ndarray:
    """Images sheared about their middle row so that their slant grows by s: float64 [N, 28, 28].

    Output pixel (r, c) samples the input at (r, c - s (r_mid - r)), bilinearly, zero outside.
    """
    x = as_unit_images(images)
    mid = (x.shape[1] - 1) / 2
    matrix, offset = np.array([[1.0, 0.0], [s, 1.0]]), np.array([0.0, -s * mid])
    return np.stack([ndimage.affine_transform(im, matrix, offset=offset, order=1) for im in x])


def thicken(images: ArrayLike, amount: int) -> np.ndarray:
    """Grey dilation (amount > 0) or erosion (amount < 0) with a 3x3 cross, |amount| times."""
    x = as_unit_images(images)
    cross = ndimage.generate_binary_structure(2, 1)[None]  # [1, 3, 3]: only within an image
    op = ndimage.grey_dilation if amount > 0 else ndimage.grey_erosion
    for _ in range(abs(amount)):
        x = op(x, footprint=cross)
    return x


# Edits that change one attribute of a real image and, by construction, not the digit.
EDITS: dict[str, tuple[Callable[[np.ndarray], np.ndarray], Callable[[np.ndarray], np.ndarray]]] = {
    "slant": (lambda x: shear(x, -EDIT_SHEAR), lambda x: shear(x, EDIT_SHEAR)),
    "thickness": (lambda x: thicken(x, -1), lambda x: thicken(x, 1)),
}


def local_directions(
    encode: Callable[[np.ndarray], np.ndarray], images: ArrayLike, attribute: str
) -> np.ndarray:
    """One unit direction per digit, float64 [N, k]: from the code of the digit edited to have
    less of the attribute to the code of it edited to have more (``EDITS``: a shear for slant,
    erosion/dilation for thickness). ``encode`` maps float images [M, 28, 28] in [0, 1] to
    codes [M, k]. The edit keeps the digit, so the direction follows the digit's own part of
    the latent space instead of one vector for all digits."""
    if attribute not in EDITS:
        raise ValueError(f"no edit for {attribute!r}; local directions exist for {tuple(EDITS)}")
    less, more = EDITS[attribute]
    x = as_unit_images(images)
    d = np.asarray(encode(more(x)), np.float64) - np.asarray(encode(less(x)), np.float64)
    norms = np.linalg.norm(d, axis=1, keepdims=True)
    if (norms < 1e-12).any():
        raise ValueError("an edit did not move the code: no direction for that digit")
    return d / norms


def class_edit_directions(
    encode: Callable[[np.ndarray], np.ndarray],
    images: ArrayLike,
    labels: ArrayLike,
    attribute: str,
    classes: int = 10,
) -> np.ndarray:
    """One unit direction per class, float64 [classes, k]: the mean of ``local_directions``
    over the class's digits. Global for a class (a digit needs no edit of its own, only its
    class), and it inherits what the edits keep: on the shipped 16-D models it keeps the label
    along slant walks more often than any regression direction (bench/uses.py)."""
    local = local_directions(encode, images, attribute)  # [N, k]
    y = np.asarray(to_numpy(labels))
    missing = [c for c in range(classes) if not (y == c).any()]
    if missing:
        raise ValueError(f"no digit of class {missing[0]} to average edits over")
    return np.stack([_unit(local[y == c].mean(axis=0)) for c in range(classes)])


# --- walking ------------------------------------------------------------------------------------


def projected_std(codes: ArrayLike, v: np.ndarray) -> float | np.ndarray:
    """Standard deviation of the codes [N, k] projected on v [k]: the unit of a walk along v.
    For directions [M, k], one std per direction [M]."""
    projected = np.asarray(to_numpy(codes), dtype=np.float64) @ np.asarray(v, np.float64).T
    std = projected.std(axis=0)
    return float(std) if std.ndim == 0 else std


def walk_offsets(scale: float, steps: int = WALK_STEPS, span: float = WALK_SPAN) -> np.ndarray:
    """alpha [steps] from -span * scale to +span * scale (0 in the middle for odd steps)."""
    if steps < 2:
        raise ValueError(f"a walk needs at least 2 steps, got {steps}")
    return np.linspace(-span * scale, span * scale, steps)


def walk(
    z: np.ndarray,
    v: np.ndarray,
    scale: float | np.ndarray,
    steps: int = WALK_STEPS,
    span: float = WALK_SPAN,
) -> np.ndarray:
    """Codes z + alpha v for alpha in ``walk_offsets``: float32 [steps, k] for one code [k],
    or [N, steps, k] for codes [N, k] (v one direction [k] or one per code [N, k]; scale one
    number or one per code [N])."""
    z = np.asarray(z, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    scale = np.asarray(scale, dtype=np.float64)
    alphas = walk_offsets(1.0, steps, span) * scale[..., None]  # [steps] or [N, steps]
    path = z[..., None, :] + alphas[..., None] * v[..., None, :]  # [..., steps, k]
    return path.astype(np.float32)


def walk_measurements(
    decode: Callable[[np.ndarray], np.ndarray],
    z: np.ndarray,
    v: np.ndarray,
    scale: float | np.ndarray,
    attribute: str,
    steps: int = WALK_STEPS,
) -> tuple[np.ndarray, np.ndarray]:
    """Decode the walks of codes [N, k] and measure one attribute at each step.

    ``decode`` maps codes [M, k] to images [M, 28, 28] (``core.latent.operations.decode_points``,
    or a
    CVAE's decoder with its label held fixed). Returns (images float32 [N, steps, 28, 28],
    values float64 [N, steps]).
    """
    if attribute not in ATTRIBUTES:
        raise ValueError(f"unknown attribute {attribute!r}; choose one of {ATTRIBUTES}")
    codes = walk(np.atleast_2d(z), v, scale, steps)  # [N, steps, k]
    n, k = codes.shape[0], codes.shape[2]
    images = np.asarray(decode(codes.reshape(n * steps, k)), dtype=np.float32)
    images = images.reshape(n, steps, 28, 28)
    values = measure(images.reshape(n * steps, 28, 28))[attribute].reshape(n, steps)
    return images, values
