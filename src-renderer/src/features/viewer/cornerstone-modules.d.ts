/**
 * Type declarations for the parts of cornerstone-core 2.6 and cornerstone-wado-image-loader 4.13 the viewer uses
 * (neither package ships types).
 */
declare module "cornerstone-core" {
  export interface VOI {
    windowWidth: number;
    windowCenter: number;
  }
  export interface Viewport {
    scale: number;
    translation: { x: number; y: number };
    voi: VOI;
    invert: boolean;
    pixelReplication: boolean;
    rotation: number;
    hflip: boolean;
    vflip: boolean;
    modalityLUT?: unknown;
    voiLUT?: unknown;
  }
  export interface Image {
    imageId: string;
    minPixelValue: number;
    maxPixelValue: number;
    slope: number;
    intercept: number;
    windowCenter: number | number[];
    windowWidth: number | number[];
    getPixelData(): ArrayLike<number>;
    rows: number;
    columns: number;
    height: number;
    width: number;
    color: boolean;
    rgba?: boolean;
    columnPixelSpacing?: number;
    rowPixelSpacing?: number;
    invert: boolean;
    sizeInBytes: number;
    voiLUT?: unknown;
    photometricInterpretation?: string;
    data?: { string(tag: string): string | undefined };
    /** The wado loader's Modality LUT Sequence, where the file has one. */
    modalityLUT?: { firstValueMapped: number; lut: ArrayLike<number> };
  }
  export interface ImageLoadObject {
    promise: Promise<Image>;
    cancelFn?: () => void;
  }
  export type ImageLoader = (imageId: string, options?: unknown) => ImageLoadObject;
  export function enable(element: HTMLElement, options?: unknown): void;
  export function disable(element: HTMLElement): void;
  export function displayImage(element: HTMLElement, image: Image, viewport?: Partial<Viewport>): void;
  export function loadAndCacheImage(imageId: string, options?: unknown): Promise<Image>;
  export function loadImage(imageId: string, options?: unknown): Promise<Image>;
  export function registerImageLoader(scheme: string, loader: ImageLoader): void;
  export function getViewport(element: HTMLElement): Viewport | undefined;
  export function setViewport(element: HTMLElement, viewport: Partial<Viewport>): void;
  export function getDefaultViewportForImage(element: HTMLElement, image: Image): Viewport;
  export function fitToWindow(element: HTMLElement): void;
  export function reset(element: HTMLElement): void;
  export function resize(element: HTMLElement, forceFitToWindow?: boolean): void;
  export function getImage(element: HTMLElement): Image | undefined;
  export function renderToCanvas(canvas: HTMLCanvasElement, image: Image, viewport?: Partial<Viewport>): void;
  export function pageToPixel(element: HTMLElement, pageX: number, pageY: number): { x: number; y: number };
  export function pixelToCanvas(element: HTMLElement, pt: { x: number; y: number }): { x: number; y: number };
  export const imageCache: {
    purgeCache(): void;
    setMaximumSizeBytes(bytes: number): void;
    /** The cache's entries by image id; `loaded` once the image's promise has resolved. */
    imageCache: Record<string, { loaded: boolean } | undefined>;
  };
  export const EVENTS: { IMAGE_RENDERED: string };
}

declare module "cornerstone-wado-image-loader" {
  const loader: {
    external: { cornerstone: unknown; dicomParser: unknown };
    configure(options: {
      beforeSend?: (
        xhr: XMLHttpRequest,
        imageId: string,
        defaultHeaders: Record<string, string>,
      ) => Record<string, string> | undefined;
      beforeProcessing?: (xhr: XMLHttpRequest) => Promise<ArrayBuffer>;
      strict?: boolean;
      decodeConfig?: { convertFloatPixelDataToInt?: boolean; use16BitDataType?: boolean };
    }): void;
    webWorkerManager: {
      initialize(config: {
        maxWebWorkers?: number;
        startWebWorkersOnDemand?: boolean;
        taskConfiguration?: { decodeTask?: { initializeCodecsOnStartup?: boolean; strict?: boolean } };
      }): void;
    };
    wadouri: { dataSetCacheManager: { purge(): void } };
  };
  export default loader;
}

/** Vite: an asset inlined as a data: URL. */
declare module "*?inline" {
  const dataUrl: string;
  export default dataUrl;
}

/** Vite: a web worker bundled inline (started from a blob: URL). */
declare module "*?worker&inline" {
  const WorkerConstructor: { new (options?: { name?: string }): Worker };
  export default WorkerConstructor;
}

/** cornerstone-core's metadata providers (cornerstone-tools asks 'imagePlaneModule' for the pixel spacing). */
declare module "cornerstone-core" {
  export const metaData: {
    addProvider(provider: (type: string, imageId: string) => unknown, priority?: number): void;
  };
  export function updateImage(element: HTMLElement, invalidated?: boolean): void;
  export function getPixels(element: HTMLElement, x: number, y: number, width: number, height: number): number[];
}

/**
 * The parts of cornerstone-tools 6 the measurement tools use (the package ships no types). Tool data are the
 * library's own objects: handles in image-pixel coordinates.
 */
declare module "cornerstone-tools" {
  export interface ToolHandle {
    x: number;
    y: number;
    highlight?: boolean;
    active?: boolean;
    moving?: boolean;
    [key: string]: unknown;
  }
  export interface ToolData {
    visible?: boolean;
    active?: boolean;
    invalidated?: boolean;
    handles: Record<string, ToolHandle>;
    cachedStats?: { mean?: number; stdDev?: number; count?: number; [key: string]: unknown };
    [key: string]: unknown;
  }
  export interface ToolEventDetail {
    element: HTMLElement;
    toolName?: string;
    measurementData?: ToolData;
    currentPoints: { image: { x: number; y: number }; canvas: { x: number; y: number } };
    image: import("cornerstone-core").Image;
    canvasContext: CanvasRenderingContext2D;
    [key: string]: unknown;
  }
  export type ToolClass = new (props?: Record<string, unknown>) => unknown;
  interface Tools {
    external: { cornerstone: unknown; cornerstoneMath: unknown; Hammer: unknown };
    init(config?: Record<string, unknown>): void;
    addToolForElement(element: HTMLElement, tool: ToolClass, props?: Record<string, unknown>): void;
    setToolActiveForElement(element: HTMLElement, name: string, options: Record<string, unknown>): void;
    setToolPassiveForElement(element: HTMLElement, name: string): void;
    setToolEnabledForElement(element: HTMLElement, name: string): void;
    getToolState(element: HTMLElement, name: string): { data: ToolData[] } | undefined;
    getToolForElement(
      element: HTMLElement,
      name: string,
    ):
      | {
          updateCachedStats?(image: unknown, element: HTMLElement, data: ToolData): void;
          pointNearTool?(
            element: HTMLElement,
            data: ToolData,
            coords: { x: number; y: number },
            type?: string,
          ): boolean;
        }
      | undefined;
    globalImageIdSpecificToolStateManager: {
      restoreImageIdToolState(imageId: string, state: Record<string, { data: ToolData[] }>): void;
      saveImageIdToolState(imageId: string): Record<string, { data: ToolData[] }> | undefined;
    };
    store: { state: Record<string, unknown> };
    LengthTool: ToolClass;
    AngleTool: ToolClass;
    EllipticalRoiTool: ToolClass;
    ProbeTool: ToolClass;
    importInternal(path: string): unknown;
    EVENTS: Record<string, string>;
  }
  const cornerstoneTools: Tools;
  export default cornerstoneTools;
}

declare module "cornerstone-math" {
  const cornerstoneMath: unknown;
  export default cornerstoneMath;
}

declare module "hammerjs" {
  const Hammer: unknown;
  export default Hammer;
}
