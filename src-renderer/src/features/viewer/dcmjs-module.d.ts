/** The part of dcmjs 0.51 (no types shipped) the renderer uses: the data dictionary of the tag browser. */
declare module "dcmjs" {
  export const data: {
    DicomMetaDictionary: {
      /** Keyed "(gggg,eeee)"; repeating groups (60xx, 50xx) resolve too. */
      dictionary: Record<string, { tag: string; vr: string; vm: string; name: string } | undefined>;
    };
  };
}
