/**
 * Simple measurements on frontal radiograph pixels alone (no knowledge of how the image was made): the
 * cardiothoracic ratio from the lung-field row profiles, and the mean brightness of each lung base. Used to show
 * that the rendered findings are recoverable from the pixels.
 */

export interface GrayImage {
  width: number;
  height: number;
  /** Values in [0, 1], row-major. */
  data: Float32Array;
}

export function fromBytes(bytes: Uint8Array, width: number, height: number): GrayImage {
  const data = new Float32Array(width * height);
  for (let i = 0; i < data.length; i++) data[i] = bytes[i]! / 255;
  return { width, height, data };
}

/** One pass of a box mean along (dx, dy) = (1, 0) rows or (0, 1) columns; the window is cut at the border. */
function boxPass(src: Float32Array, w: number, h: number, radius: number, dx: number, dy: number): Float32Array {
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let acc = 0;
      let n = 0;
      for (let k = -radius; k <= radius; k++) {
        const xx = x + k * dx;
        const yy = y + k * dy;
        if (xx < 0 || xx >= w || yy < 0 || yy >= h) continue;
        acc += src[yy * w + xx]!;
        n++;
      }
      out[y * w + x] = acc / n;
    }
  }
  return out;
}

function boxSmooth(image: GrayImage, radius: number): Float32Array {
  const { width: w, height: h, data } = image;
  return boxPass(boxPass(data, w, h, radius, 1, 0), w, h, radius, 0, 1);
}

/** Otsu threshold of values in [0, 1]. */
export function otsu(values: ArrayLike<number>): number {
  const bins = 256;
  const hist = new Float64Array(bins);
  for (let i = 0; i < values.length; i++) hist[Math.min(bins - 1, Math.max(0, Math.floor(values[i]! * bins)))]!++;
  const total = values.length;
  let sumAll = 0;
  for (let b = 0; b < bins; b++) sumAll += b * hist[b]!;
  let sumBack = 0;
  let weightBack = 0;
  let best = 0;
  let bestVar = -1;
  for (let b = 0; b < bins; b++) {
    weightBack += hist[b]!;
    if (weightBack === 0) continue;
    const weightFore = total - weightBack;
    if (weightFore === 0) break;
    sumBack += b * hist[b]!;
    const meanBack = sumBack / weightBack;
    const meanFore = (sumAll - sumBack) / weightFore;
    const between = weightBack * weightFore * (meanBack - meanFore) ** 2;
    if (between > bestVar) {
      bestVar = between;
      best = b;
    }
  }
  return (best + 0.5) / bins;
}

interface Run {
  start: number;
  end: number;
}

function darkRuns(row: Float32Array, offset: number, width: number, threshold: number, minLength: number): Run[] {
  const runs: Run[] = [];
  let start = -1;
  for (let x = 0; x <= width; x++) {
    const dark = x < width && row[offset + x]! < threshold;
    if (dark && start < 0) start = x;
    if (!dark && start >= 0) {
      if (x - start >= minLength) runs.push({ start, end: x });
      start = -1;
    }
  }
  return runs;
}

export interface CtrMeasurement {
  ctr: number;
  cardiacWidth: number;
  thoracicWidth: number;
  rowsUsed: number;
}

/**
 * Cardiothoracic ratio: in each row of the chest, the lungs are the dark runs (below an Otsu threshold of the
 * central chest); the thoracic width is the span from the outer edge of the image-left lung to the outer edge
 * of the image-right lung, the cardiac width is the bright gap between the lungs. CTR = widest gap in the lower
 * lung field / widest thorax.
 */
export function measureCtr(image: GrayImage): CtrMeasurement {
  const { width: w, height: h } = image;
  const smooth = boxSmooth(image, Math.max(1, Math.round(w / 200)));
  const background = 0.05;
  // Otsu on the central chest separates aerated lung from soft tissue; the lung cut sits 60% of the way up
  // from the lung level to the tissue level so that the thin lung next to the heart still counts as lung.
  const central: number[] = [];
  for (let y = Math.floor(h * 0.2); y < h * 0.75; y += 2) {
    for (let x = Math.floor(w * 0.1); x < w * 0.9; x += 2) {
      const v = smooth[y * w + x]!;
      if (v > background) central.push(v);
    }
  }
  const split = otsu(central);
  const lungs = central.filter((v) => v < split).sort((a, b) => a - b);
  const tissue = central.filter((v) => v >= split).sort((a, b) => a - b);
  const lungLevel = lungs[Math.floor(lungs.length / 2)] ?? split;
  const tissueLevel = tissue[Math.floor(tissue.length / 2)] ?? split;
  const threshold = lungLevel + 0.6 * (tissueLevel - lungLevel);
  const minRun = Math.max(3, Math.round(w * 0.05));
  const rows: Array<{ y: number; gap: number; thorax: number }> = [];
  const centre = Math.floor(w / 2);
  for (let y = Math.floor(h * 0.15); y < h * 0.9; y++) {
    const o = y * w;
    // The torso: from the centre outward until three background pixels in a row.
    let lo = centre;
    while (
      lo > 2 &&
      !(smooth[o + lo - 1]! < background && smooth[o + lo - 2]! < background && smooth[o + lo - 3]! < background)
    )
      lo--;
    let hi = centre;
    while (
      hi < w - 3 &&
      !(smooth[o + hi + 1]! < background && smooth[o + hi + 2]! < background && smooth[o + hi + 3]! < background)
    )
      hi++;
    const runs = darkRuns(smooth, o, w, threshold, minRun).filter((r) => r.start > lo + 1 && r.end < hi - 1);
    const isLung = (r: Run): boolean => {
      let acc = 0;
      for (let x = r.start; x < r.end; x++) acc += smooth[o + x]!;
      return acc / (r.end - r.start) > background;
    };
    const lungRuns = runs.filter(isLung);
    const left = lungRuns
      .filter((r) => (r.start + r.end) / 2 < centre)
      .sort((a, b) => b.end - b.start - (a.end - a.start))[0];
    const right = lungRuns
      .filter((r) => (r.start + r.end) / 2 >= centre)
      .sort((a, b) => b.end - b.start - (a.end - a.start))[0];
    if (!left || !right) continue;
    rows.push({ y, gap: right.start - left.end, thorax: right.end - left.start });
  }
  if (rows.length < 5)
    return { ctr: Number.NaN, cardiacWidth: Number.NaN, thoracicWidth: Number.NaN, rowsUsed: rows.length };
  const thoracicWidth = Math.max(...rows.map((r) => r.thorax));
  // Lower half of the rows that show both lungs: where the heart is.
  const top = rows[0]!.y;
  const bottom = rows[rows.length - 1]!.y;
  const lower = rows.filter((r) => r.y >= top + (bottom - top) * 0.45 && r.y <= top + (bottom - top) * 0.95);
  const gaps = lower.map((r) => r.gap).sort((a, b) => a - b);
  const cardiacWidth = gaps[Math.floor(gaps.length * 0.8)] ?? gaps[gaps.length - 1]!;
  return { ctr: cardiacWidth / thoracicWidth, cardiacWidth, thoracicWidth, rowsUsed: rows.length };
}

/**
 * Mean brightness of the lower lateral lung zone on each side of the image: columns 12-32% in from each edge,
 * rows 58-76% down. Returns [image-left (patient right), image-right (patient left)].
 */
export function baseBrightness(image: GrayImage): { patientRight: number; patientLeft: number } {
  const { width: w, height: h, data } = image;
  const box = (x0: number, x1: number): number => {
    let acc = 0;
    let n = 0;
    for (let y = Math.floor(h * 0.58); y < h * 0.76; y++) {
      for (let x = Math.floor(x0); x < x1; x++) {
        acc += data[y * w + x]!;
        n++;
      }
    }
    return acc / n;
  };
  return { patientRight: box(w * 0.12, w * 0.32), patientLeft: box(w * 0.68, w * 0.88) };
}
