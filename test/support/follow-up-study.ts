/**
 * A follow-up of a demo study, for the tests that need a patient with a prior: the same patient and pixels, new
 * study / series / instance UIDs and a later study date (2025-06-01), written as DICOM files PA.dcm and LL.dcm.
 */
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

interface DicomFile {
  dict: Record<string, { Value: unknown[] }>;
  meta: Record<string, { Value: unknown[] }>;
  write(): ArrayBuffer;
}
const dcmjs = createRequire(import.meta.url)("dcmjs") as {
  data: { DicomMessage: { readFile(buffer: ArrayBuffer): DicomFile } };
};

/** Writes the follow-up of the demo study in `studyDir` (its PA.dcm and LL.dcm) into `dir`. */
export function writeFollowUpStudy(dir: string, studyDir: string, studyDate = "20250601"): void {
  fs.mkdirSync(dir, { recursive: true });
  const uid = (n: number) => `2.25.${BigInt(`0x${(Date.now() * 1000 + n).toString(16)}`).toString()}${n}`;
  const study = uid(1);
  const series = uid(2);
  for (const [i, name] of ["PA.dcm", "LL.dcm"].entries()) {
    const bytes = fs.readFileSync(path.join(studyDir, name));
    const file = dcmjs.data.DicomMessage.readFile(
      bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
    );
    const sop = uid(10 + i);
    const set = (group: Record<string, { Value: unknown[] }>, tag: string, value: string) => {
      const element = group[tag];
      if (!element) throw new Error(`${name} has no tag ${tag}`);
      element.Value = [value];
    };
    set(file.dict, "0020000D", study);
    set(file.dict, "0020000E", `${series}${i}`);
    set(file.dict, "00080018", sop);
    set(file.meta, "00020003", sop);
    set(file.dict, "00080020", studyDate);
    fs.writeFileSync(path.join(dir, name), Buffer.from(file.write()));
  }
}
