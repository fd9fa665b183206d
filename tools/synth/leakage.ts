/**
 * Can a simple classifier tell two groups of studies apart from their rendered pixels? Used to check that the
 * images carry the findings and patient variation only: groups with identical findings but different report
 * wording must stay at chance, while groups with different findings must not.
 *
 * Features: each view average-pooled to a small grid plus intensity statistics (mean, standard deviation,
 * percentiles); classifiers: L2-regularised logistic regression and nearest centroid on standardised features;
 * stratified k-fold cross-validation.
 */
import type { Rng } from "./prng";
import type { Plane } from "./raster";

export function imageFeatures(planes: readonly Plane[], grid = 12): number[] {
  const features: number[] = [];
  for (const plane of planes) {
    const { width: w, height: h, data } = plane;
    for (let gy = 0; gy < grid; gy++) {
      for (let gx = 0; gx < grid; gx++) {
        let acc = 0;
        let n = 0;
        for (let y = Math.floor((gy * h) / grid); y < ((gy + 1) * h) / grid; y++) {
          for (let x = Math.floor((gx * w) / grid); x < ((gx + 1) * w) / grid; x++) {
            acc += data[y * w + x]!;
            n++;
          }
        }
        features.push(acc / n);
      }
    }
    const sorted = Float32Array.from(data).sort();
    let mean = 0;
    for (const v of data) mean += v;
    mean /= data.length;
    let variance = 0;
    for (const v of data) variance += (v - mean) ** 2;
    features.push(mean, Math.sqrt(variance / data.length));
    for (const q of [0.05, 0.25, 0.5, 0.75, 0.95]) features.push(sorted[Math.floor(q * (sorted.length - 1))]!);
  }
  return features;
}

function standardize(train: number[][], test: number[][]): [number[][], number[][]] {
  const d = train[0]!.length;
  const mean = new Array<number>(d).fill(0);
  const sd = new Array<number>(d).fill(0);
  for (const row of train) {
    for (let j = 0; j < d; j++) mean[j]! += row[j]! / train.length;
  }
  for (const row of train) {
    for (let j = 0; j < d; j++) sd[j]! += (row[j]! - mean[j]!) ** 2 / train.length;
  }
  const scale = sd.map((v) => 1 / Math.sqrt(v + 1e-9));
  const f = (rows: number[][]) => rows.map((row) => row.map((v, j) => (v - mean[j]!) * scale[j]!));
  return [f(train), f(test)];
}

function logisticRegression(
  x: number[][],
  y: number[],
  lambda = 0.05,
  epochs = 300,
  rate = 0.1,
): (row: number[]) => number {
  const d = x[0]!.length;
  const w = new Array<number>(d).fill(0);
  let b = 0;
  for (let epoch = 0; epoch < epochs; epoch++) {
    const gw = new Array<number>(d).fill(0);
    let gb = 0;
    for (let i = 0; i < x.length; i++) {
      let z = b;
      for (let j = 0; j < d; j++) z += w[j]! * x[i]![j]!;
      const err = 1 / (1 + Math.exp(-z)) - y[i]!;
      for (let j = 0; j < d; j++) gw[j]! += err * x[i]![j]!;
      gb += err;
    }
    for (let j = 0; j < d; j++) w[j]! -= rate * (gw[j]! / x.length + lambda * w[j]!);
    b -= (rate * gb) / x.length;
  }
  return (row) => {
    let z = b;
    for (let j = 0; j < d; j++) z += w[j]! * row[j]!;
    return z > 0 ? 1 : 0;
  };
}

function nearestCentroid(x: number[][], y: number[]): (row: number[]) => number {
  const d = x[0]!.length;
  const centroids = [0, 1].map((label) => {
    const rows = x.filter((_, i) => y[i] === label);
    const c = new Array<number>(d).fill(0);
    for (const row of rows) {
      for (let j = 0; j < d; j++) c[j]! += row[j]! / rows.length;
    }
    return c;
  });
  return (row) => {
    const dist = centroids.map((c) => c.reduce((acc, v, j) => acc + (v - row[j]!) ** 2, 0));
    return dist[1]! < dist[0]! ? 1 : 0;
  };
}

export interface CrossValidation {
  logistic: number;
  centroid: number;
  n: number;
}

/** Stratified k-fold accuracy of both classifiers. */
export function crossValidate(features: number[][], labels: number[], folds: number, rng: Rng): CrossValidation {
  const byClass = [0, 1].map((c) => labels.map((l, i) => (l === c ? i : -1)).filter((i) => i >= 0));
  const fold = new Array<number>(labels.length);
  for (const indices of byClass) {
    const shuffled = indices.slice();
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = Math.floor(rng.uniform() * (i + 1));
      [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
    }
    shuffled.forEach((idx, k) => {
      fold[idx] = k % folds;
    });
  }
  let correctLogistic = 0;
  let correctCentroid = 0;
  for (let k = 0; k < folds; k++) {
    const trainIdx = labels.map((_, i) => i).filter((i) => fold[i] !== k);
    const testIdx = labels.map((_, i) => i).filter((i) => fold[i] === k);
    const [xTrain, xTest] = standardize(
      trainIdx.map((i) => features[i]!),
      testIdx.map((i) => features[i]!),
    );
    const yTrain = trainIdx.map((i) => labels[i]!);
    const logistic = logisticRegression(xTrain, yTrain);
    const centroid = nearestCentroid(xTrain, yTrain);
    testIdx.forEach((i, t) => {
      if (logistic(xTest[t]!) === labels[i]) correctLogistic++;
      if (centroid(xTest[t]!) === labels[i]) correctCentroid++;
    });
  }
  return { logistic: correctLogistic / labels.length, centroid: correctCentroid / labels.length, n: labels.length };
}
