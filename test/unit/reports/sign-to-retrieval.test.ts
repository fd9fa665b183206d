/**
 * Signing adds the case to the real retrieval index (src-main/services/retrieval) with the drafting run's embedding,
 * so a similar study retrieves it; an index of another model refuses it and the sign result says why; a signed case
 * left without a thumbnail is completed at the next start.
 */
import sharp from "sharp";
import { afterEach, describe, expect, it } from "vitest";
import { RetrievalService } from "../../../src-main/services/retrieval/retrieval-service";
import { FixedReportTestEngine, TEST_DOUBLE_EMBEDDING_MODEL } from "../../support/fixed-report-test-engine";
import {
  dicomStudy,
  insertStudy,
  makeReportsHarness,
  openDrafted,
  type ReportsHarness,
  signAttested,
} from "../../support/report-fixtures";

const REPORT_ID = "CXR2384_IM-0942";
let harness: ReportsHarness | null = null;
let retrieval: RetrievalService | null = null;
afterEach(async () => {
  await retrieval?.close();
  harness?.close();
  harness = null;
  retrieval = null;
});

async function signedWith(index: (h: ReportsHarness) => RetrievalService) {
  let service: RetrievalService | null = null;
  const engine = new FixedReportTestEngine({ reportId: REPORT_ID });
  harness = makeReportsHarness({
    engine,
    retrieval: {
      get modelId() {
        return service?.modelId ?? null;
      },
      addCase: (c) => service?.addCase(c),
      hasCase: (id) => service?.hasCase(id) ?? false,
      hasThumbnail: (id) => service?.hasThumbnail(id) ?? false,
    },
  });
  service = index(harness);
  retrieval = service;
  insertStudy(harness.db, dicomStudy("study-1"));
  await openDrafted(harness, "study-1");
  const result = await signAttested(harness, "study-1");
  return { result, service, engine };
}

describe("signed cases join the retrieval index", () => {
  it("is found by a query with the same study embedding", async () => {
    const { result, service, engine } = await signedWith((h) => {
      const r = new RetrievalService(h.db);
      r.resetForModel(TEST_DOUBLE_EMBEDDING_MODEL, 64);
      return r;
    });
    expect(result.retrieval).toEqual({
      indexed: true,
      message: `added to the retrieval index (model ${TEST_DOUBLE_EMBEDDING_MODEL})`,
    });
    const stored = service.getCase("study-1");
    expect(stored).toMatchObject({ source: "signed", modelId: TEST_DOUBLE_EMBEDDING_MODEL });
    expect(stored?.labels).toHaveLength(14);
    // A "similar study": the same engine run gives the same embedding; the signed case comes back first.
    const again = await engine.generate("study-2", { signal: new AbortController().signal, onProgress: () => {} });
    const hits = await service.search({ modelId: TEST_DOUBLE_EMBEDDING_MODEL, vector: again.embedding!.vector, k: 5 });
    expect(hits[0]?.studyId).toBe("study-1");
    expect(hits[0]?.similarity).toBeCloseTo(1, 5);
  });

  it("a signed case the index holds without a thumbnail gets one at the next start, from the engine", async () => {
    // As main before issue 12.8 left it (the thumbnail came in a second write that a crash could lose).
    const { service, engine } = await signedWith((h) => {
      const r = new RetrievalService(h.db);
      r.resetForModel(TEST_DOUBLE_EMBEDDING_MODEL, 64);
      return r;
    });
    expect(service.hasCase("study-1")).toBe(true);
    expect(service.hasThumbnail("study-1")).toBe(false);
    const png = new Uint8Array(
      await sharp({ create: { width: 8, height: 8, channels: 3, background: "#808080" } })
        .png()
        .toBuffer(),
    );
    const asked: string[] = [];
    harness!.setEngine(
      Object.assign(engine, {
        studyThumbnail: async (studyId: string) => {
          asked.push(studyId);
          return png;
        },
      }),
    );
    expect(await harness!.reports.completeSignedCases()).toEqual(["study-1"]);
    expect(asked).toEqual(["study-1"]);
    expect(service.thumbnail("study-1")).toEqual(png);
    expect(harness!.reports.audit("study-1").map((e) => e.action)).toContain("retrieval.thumbnail-added");
    // Nothing left to do: a second pass completes nothing and asks the engine for nothing.
    expect(await harness!.reports.completeSignedCases()).toEqual([]);
    expect(asked).toEqual(["study-1"]);
  });

  it("an index of another model refuses the vector, and the sign result says so", async () => {
    const { result, service } = await signedWith((h) => {
      const r = new RetrievalService(h.db);
      r.resetForModel("medclip-demo-pack", 64);
      return r;
    });
    expect(result.state.status).toBe("signed");
    expect(result.retrieval.indexed).toBe(false);
    expect(result.retrieval.message).toMatch(/^not added to the retrieval index: .*medclip-demo-pack/);
    expect(service.hasCase("study-1")).toBe(false);
  });
});
