import { describe, expect, it } from "vitest";
import type { DicomHeader } from "../../../src-main/services/import/probe-file";
import { assignStudyOrder, classifyView } from "../../../src-main/services/import/view-classification";

const header = (over: Partial<DicomHeader>): DicomHeader => ({
  studyInstanceUid: "1.2.3",
  seriesInstanceUid: "1.2.3.4",
  sopInstanceUid: "1.2.3.4.5",
  sopClassUid: "1.2.840.10008.5.1.4.1.1.1",
  patientName: null,
  patientId: null,
  studyDate: null,
  studyDescription: null,
  seriesDescription: null,
  protocolName: null,
  modality: "CR",
  bodyPartExamined: "CHEST",
  viewPosition: null,
  imageLaterality: null,
  viewCodeMeanings: [],
  rows: 10,
  columns: 10,
  photometricInterpretation: "MONOCHROME2",
  transferSyntaxUid: "1.2.840.10008.1.2.1",
  rawDataSet: false,
  ...over,
});

describe("frontal / lateral classification", () => {
  it("uses View Position first", () => {
    expect(classifyView("/x/1.dcm", header({ viewPosition: "PA" }))).toEqual({
      view: "frontal",
      reason: "ViewPosition PA",
    });
    expect(classifyView("/x/0.dcm", header({ viewPosition: "LL" }))).toEqual({
      view: "lateral",
      reason: "ViewPosition LL",
    });
    expect(classifyView("/x/a.dcm", header({ viewPosition: "ap" })).view).toBe("frontal");
  });

  it("then the View Code Sequence and the series description", () => {
    expect(classifyView("/x/a.dcm", header({ viewCodeMeanings: ["left lateral"] }))).toEqual({
      view: "lateral",
      reason: 'View Code "left lateral"',
    });
    expect(classifyView("/x/a.dcm", header({ viewCodeMeanings: ["postero-anterior"] })).view).toBe("frontal");
    expect(classifyView("/x/a.dcm", header({ seriesDescription: "CHEST LAT" }))).toEqual({
      view: "lateral",
      reason: 'series description "CHEST LAT"',
    });
    expect(classifyView("/x/a.dcm", header({ protocolName: "Thorax PA" })).view).toBe("frontal");
  });

  it("then the file name", () => {
    expect(classifyView("/s/0.png", null)).toEqual({ view: "frontal", reason: 'file name "0.png"' });
    expect(classifyView("/s/1.png", null)).toEqual({ view: "lateral", reason: 'file name "1.png"' });
    expect(classifyView("/s/chest_lateral.jpg", null).view).toBe("lateral");
    expect(classifyView("/s/chest-PA.jpeg", null).view).toBe("frontal");
    expect(classifyView("/s/scan_0001.dcm", header({}))).toEqual({ view: "unknown", reason: null });
    // Words in both directions tell nothing.
    expect(classifyView("/s/pa_and_lat.png", null).view).toBe("unknown");
  });

  it("the order rule fills only a missing frontal and a missing lateral, in file-path order", () => {
    expect(
      assignStudyOrder([
        { id: "b", filePath: "/s/b.png", view: "unknown" },
        { id: "a", filePath: "/s/a.png", view: "unknown" },
        { id: "c", filePath: "/s/c.png", view: "unknown" },
      ]),
    ).toEqual([
      { id: "a", view: "frontal", reason: "order in study (first)" },
      { id: "b", view: "lateral", reason: "order in study (second)" },
    ]);
    expect(
      assignStudyOrder([
        { id: "f", filePath: "/s/f.dcm", view: "frontal" },
        { id: "u", filePath: "/s/u.dcm", view: "unknown" },
      ]),
    ).toEqual([{ id: "u", view: "lateral", reason: "order in study (second)" }]);
    expect(
      assignStudyOrder([
        { id: "f", filePath: "/s/f.dcm", view: "frontal" },
        { id: "l", filePath: "/s/l.dcm", view: "lateral" },
        { id: "u", filePath: "/s/u.dcm", view: "unknown" },
      ]),
    ).toEqual([]);
  });
});
