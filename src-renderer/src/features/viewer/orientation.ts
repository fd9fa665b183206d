/**
 * Orientation markers: which patient direction each edge of the viewport shows. The image's own directions come
 * from Image Orientation (Patient) (0020,0037), else Patient Orientation (0020,0020) (PS3.3 C.7.6.1.1.1: the
 * direction of the rows — towards the image's right — and of the columns — towards its bottom — as letters
 * L/R, A/P, H/F). The viewport's rotation and flips then move them, exactly as cornerstone-core 2.6 draws
 * (calculateTransform: an image direction is flipped first — hflip negates x, vflip negates y — then rotated
 * clockwise by `rotation` degrees, screen y pointing down).
 */

export interface ImageDirections {
  /** Patient direction towards the image's right (increasing column index), e.g. "L". */
  readonly row: string;
  /** Patient direction towards the image's bottom (increasing row index), e.g. "F". */
  readonly column: string;
  /** Where the directions came from, for the overlay's tooltip. */
  readonly source: "Image Orientation (Patient)" | "Patient Orientation";
}

export interface ViewTransform {
  /** Degrees, a multiple of 90 (others are rounded to one). */
  readonly rotation: number;
  readonly hflip: boolean;
  readonly vflip: boolean;
}

export interface OrientationMarkers {
  readonly top: string;
  readonly right: string;
  readonly bottom: string;
  readonly left: string;
}

const OPPOSITE: Readonly<Record<string, string>> = { L: "R", R: "L", A: "P", P: "A", H: "F", F: "H" };

/** The opposite direction: "L" → "R", "LF" → "RH". Letters outside L/R/A/P/H/F make it null. */
export function oppositeDirection(direction: string): string | null {
  let out = "";
  for (const letter of direction) {
    const o = OPPOSITE[letter];
    if (!o) return null;
    out += o;
  }
  return out;
}

/** A direction cosine (patient LPS: +x left, +y posterior, +z head) as letters, the largest component first. */
export function directionLetters(cosines: readonly number[]): string | null {
  if (cosines.length !== 3 || cosines.some((c) => !Number.isFinite(c))) return null;
  const length = Math.hypot(...cosines);
  if (length < 1e-6) return null;
  const axes: [number, string, string][] = [
    [cosines[0]! / length, "L", "R"],
    [cosines[1]! / length, "P", "A"],
    [cosines[2]! / length, "H", "F"],
  ];
  // Components under 0.25 (≈ 15° from the plane) are left out, as most viewers do for oblique images.
  const letters = axes
    .filter(([c]) => Math.abs(c) >= 0.25)
    .sort((a, b) => Math.abs(b[0]) - Math.abs(a[0]))
    .map(([c, positive, negative]) => (c > 0 ? positive : negative))
    .join("");
  return letters || null;
}

/**
 * The image's directions from the two attributes' values (as read: IOP six numbers, Patient Orientation its
 * values); null when neither gives two valid directions — then no markers are drawn rather than guessed ones.
 */
export function imageDirections(
  imageOrientation: readonly number[],
  patientOrientation: readonly string[],
): ImageDirections | null {
  if (imageOrientation.length === 6) {
    const row = directionLetters(imageOrientation.slice(0, 3));
    const column = directionLetters(imageOrientation.slice(3, 6));
    if (row && column) return { row, column, source: "Image Orientation (Patient)" };
  }
  const [row, column] = patientOrientation.map((v) => v.trim().toUpperCase());
  if (row && column && oppositeDirection(row) && oppositeDirection(column)) {
    return { row, column, source: "Patient Orientation" };
  }
  return null;
}

/** The screen direction (unit axis vector) an image axis vector goes to: flip first, then rotate clockwise. */
function toScreen([x, y]: readonly [number, number], t: ViewTransform): [number, number] {
  const fx = t.hflip ? -x : x;
  const fy = t.vflip ? -y : y;
  const quarterTurns = ((Math.round(t.rotation / 90) % 4) + 4) % 4;
  let sx = fx;
  let sy = fy;
  // One clockwise quarter turn with y down: (x, y) → (−y, x).
  for (let i = 0; i < quarterTurns; i++) [sx, sy] = [-sy, sx];
  return [sx, sy];
}

/** The letters at each edge of the viewport for an image with these directions, shown with this transform. */
export function orientationMarkers(directions: ImageDirections, transform: ViewTransform): OrientationMarkers | null {
  const oppositeRow = oppositeDirection(directions.row);
  const oppositeColumn = oppositeDirection(directions.column);
  if (!oppositeRow || !oppositeColumn) return null;
  const imageAxes: [[number, number], string][] = [
    [[1, 0], directions.row],
    [[-1, 0], oppositeRow],
    [[0, 1], directions.column],
    [[0, -1], oppositeColumn],
  ];
  const markers: Record<keyof OrientationMarkers, string> = { top: "", right: "", bottom: "", left: "" };
  for (const [axis, letters] of imageAxes) {
    const [sx, sy] = toScreen(axis, transform);
    const edge = sx === 1 ? "right" : sx === -1 ? "left" : sy === 1 ? "bottom" : "top";
    markers[edge] = letters;
  }
  return markers;
}
