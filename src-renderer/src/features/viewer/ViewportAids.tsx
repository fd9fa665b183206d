/**
 * A viewport's reading aids, drawn over its cornerstone canvas: orientation markers at the four edges (from the
 * image's Image Orientation (Patient) / Patient Orientation, moved by rotation and flips: ./orientation.ts), a
 * magnifier that follows the cursor, and the pixel value under the cursor (stored and modality value:
 * ./pixel-value.ts). The magnifier is a second cornerstone element showing the same image with the same window,
 * rotation and flips at three times the viewport's zoom, centred on the pixel under the cursor, so it shows the
 * image's own pixels rather than an enlarged screen. Listens to the viewport element's own pointer events (the
 * viewport's W/L, pan and zoom handlers are left as they are).
 */
import type { Image } from "cornerstone-core";
import type dicomParser from "dicom-parser";
import { type RefObject, useEffect, useMemo, useRef, useState } from "react";
import { AttributeReader } from "../../../../src-shared/imaging/dicom-reader";
import { initCornerstone } from "./cornerstone-setup";
import { imageDirections, orientationMarkers, type ViewTransform } from "./orientation";
import { formatModalityValue, type PixelReading, type PixelSource, pixelAt } from "./pixel-value";
import { useReadingAids } from "./reading-aids";

const MAGNIFIER_SIZE = 220;
const MAGNIFICATION = 3;

/** The dicom-parser data set the wado loader keeps on the image (`image.data`); none for PNG / JPEG. */
function dataSetOf(image: Image): dicomParser.DataSet | null {
  const data = image.data as unknown as dicomParser.DataSet | undefined;
  return data && typeof data === "object" && "elements" in data ? data : null;
}

export function ViewportAids({
  slot,
  element,
  image,
  transform,
}: {
  slot: string;
  element: RefObject<HTMLDivElement | null>;
  image: Image | null;
  transform: ViewTransform | null;
}) {
  const aids = useReadingAids();
  const cs = initCornerstone();
  const [reading, setReading] = useState<PixelReading | null>(null);
  const [lens, setLens] = useState<{ x: number; y: number } | null>(null);
  const lensElement = useRef<HTMLDivElement>(null);

  const directions = useMemo(() => {
    const ds = image ? dataSetOf(image) : null;
    if (!ds) return null;
    const attrs = new AttributeReader(ds);
    return imageDirections(attrs.numbers("x00200037"), attrs.values("x00200020"));
  }, [image]);
  const markers = directions && transform ? orientationMarkers(directions, transform) : null;

  // The cursor: pixel value and magnifier position, in the viewport element's coordinates.
  useEffect(() => {
    const el = element.current;
    if (!el || !image || (!aids.pixelValue && !aids.magnifier)) {
      setReading(null);
      setLens(null);
      return;
    }
    const onMove = (e: PointerEvent) => {
      if (!cs.getImage(el)) return;
      const rect = el.getBoundingClientRect();
      const point = cs.pageToPixel(el, e.pageX, e.pageY);
      if (aids.pixelValue) setReading(pixelAt(image as unknown as PixelSource, point.x, point.y));
      if (aids.magnifier) setLens({ x: e.clientX - rect.left, y: e.clientY - rect.top });
      const lensEl = lensElement.current;
      const vp = cs.getViewport(el);
      if (aids.magnifier && lensEl && vp) {
        if (cs.getImage(lensEl)?.imageId !== image.imageId) cs.displayImage(lensEl, image);
        // cornerstone's transform: canvas = centre + scale · (translation + R·F·(p − image centre)); the
        // translation that puts p at the lens's centre is −R·F·(p − image centre).
        let dx = (vp.hflip ? -1 : 1) * (point.x - image.width / 2);
        let dy = (vp.vflip ? -1 : 1) * (point.y - image.height / 2);
        const turns = ((Math.round(vp.rotation / 90) % 4) + 4) % 4;
        for (let i = 0; i < turns; i++) [dx, dy] = [-dy, dx];
        cs.setViewport(lensEl, {
          ...vp,
          scale: vp.scale * MAGNIFICATION,
          translation: { x: -dx, y: -dy },
        });
      }
    };
    const onLeave = () => {
      setReading(null);
      setLens(null);
    };
    el.addEventListener("pointermove", onMove);
    el.addEventListener("pointerleave", onLeave);
    return () => {
      el.removeEventListener("pointermove", onMove);
      el.removeEventListener("pointerleave", onLeave);
    };
  }, [aids.magnifier, aids.pixelValue, cs, element, image]);

  // The magnifier's own cornerstone element, enabled while the magnifier is on.
  useEffect(() => {
    const lensEl = lensElement.current;
    if (!aids.magnifier || !lensEl) return;
    cs.enable(lensEl);
    return () => cs.disable(lensEl);
  }, [aids.magnifier, cs]);

  if (!image) return null;
  return (
    <>
      {aids.markers && markers && (
        <div
          className="orientation-markers"
          data-testid={`${slot}-markers`}
          data-source={directions?.source}
          title={`Orientation from ${directions?.source}`}
        >
          {(["top", "right", "bottom", "left"] as const).map((edge) => (
            <span key={edge} className={`marker marker-${edge}`} data-testid={`${slot}-marker-${edge}`}>
              {markers[edge]}
            </span>
          ))}
        </div>
      )}
      {aids.magnifier && (
        <div
          ref={lensElement}
          className={`magnifier${lens ? "" : " hidden"}`}
          data-testid={`${slot}-magnifier`}
          data-visible={lens ? "true" : "false"}
          style={{
            width: MAGNIFIER_SIZE,
            height: MAGNIFIER_SIZE,
            left: (lens?.x ?? 0) - MAGNIFIER_SIZE / 2,
            top: (lens?.y ?? 0) - MAGNIFIER_SIZE / 2,
          }}
        />
      )}
      {aids.pixelValue && (
        <div
          className="pixel-value"
          data-testid={`${slot}-pixel-value`}
          data-x={reading?.x ?? ""}
          data-y={reading?.y ?? ""}
          data-stored={reading ? reading.stored.join(",") : ""}
          data-modality={reading?.modality ?? ""}
        >
          {reading
            ? reading.modality === null
              ? `x ${reading.x}, y ${reading.y} · RGB ${reading.stored.join(", ")}`
              : `x ${reading.x}, y ${reading.y} · stored ${reading.stored[0]} · ${
                  reading.transform === "lut" ? "modality LUT" : "rescaled"
                } ${formatModalityValue(reading.modality)}`
            : "Pixel value: move the cursor over the image"}
        </div>
      )}
    </>
  );
}
