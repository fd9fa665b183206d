/**
 * The viewer's refusal of cut-short PNG / JPEG files (raster-image-loader), on every shared PNG and JPEG: intact files
 * pass, each cut at several lengths is refused with the reason — as the import refuses them.
 */
import fs from "node:fs";
import path from "node:path";
import { expect, test } from "vitest";
import { rasterTruncation } from "../../../src-renderer/src/features/viewer/raster-image-loader";

const images = path.resolve(import.meta.dirname, "../../../../shared/data/images");
const files = ["covid", "nih", "from_dicom"].flatMap((d) =>
  fs
    .readdirSync(path.join(images, d))
    .filter((f) => /\.(png|jpe?g)$/i.test(f))
    .map((f) => path.join(images, d, f)),
);

test("intact shared PNG and JPEG files pass; cut at 10 %, 50 % and 99 % of their length they are refused", () => {
  expect(files.length).toBeGreaterThanOrEqual(12);
  let refused = 0;
  for (const file of files) {
    const bytes = new Uint8Array(fs.readFileSync(file));
    expect(rasterTruncation(bytes), file).toBeNull();
    const kind = bytes[0] === 0x89 ? /the PNG file has no IEND chunk/ : /the JPEG file has no EOI marker \(FFD9\)/;
    for (const fraction of [0.1, 0.5, 0.99]) {
      expect(
        rasterTruncation(bytes.subarray(0, Math.floor(bytes.length * fraction))),
        `${file} at ${fraction}`,
      ).toMatch(kind);
      refused++;
    }
  }
  console.log(`${files.length} intact files pass, ${refused} cut copies refused`);
});
