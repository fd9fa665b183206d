/**
 * Builds, in memory, the smallest ONNX model that onnxruntime can run for a batched dot product:
 * `scores = Gemm(a, b, transB = 1)`, a: [m, d], b: [n, d], scores: [m, n], every dimension symbolic.
 * The model is a few hundred bytes of protobuf (ModelProto, IR version 7, opset 13), written here field by field
 * so no generated file has to be shipped; onnxruntime then runs it with its optimised MLAS GEMM kernels.
 */

const FLOAT = 1; // TensorProto.DataType.FLOAT
const ATTRIBUTE_INT = 2; // AttributeProto.AttributeType.INT

function varint(value: number): number[] {
  const bytes: number[] = [];
  let v = value;
  while (v >= 0x80) {
    bytes.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  bytes.push(v);
  return bytes;
}

const tag = (field: number, wireType: number): number[] => varint(field * 8 + wireType);
const lengthDelimited = (field: number, bytes: number[]): number[] => [
  ...tag(field, 2),
  ...varint(bytes.length),
  ...bytes,
];
const stringField = (field: number, text: string): number[] =>
  lengthDelimited(field, Array.from(new TextEncoder().encode(text)));
const intField = (field: number, value: number): number[] => [...tag(field, 0), ...varint(value)];

/** ValueInfoProto {name, type: TypeProto {tensor_type: {elem_type: FLOAT, shape: {dim: [{dim_param}]}}}}. */
function floatTensorInfo(name: string, dimNames: string[]): number[] {
  const shape = dimNames.flatMap((d) => lengthDelimited(1, stringField(2, d)));
  const tensorType = [...intField(1, FLOAT), ...lengthDelimited(2, shape)];
  return [...stringField(1, name), ...lengthDelimited(2, lengthDelimited(1, tensorType))];
}

/** The Gemm(a, bᵀ) model as ONNX protobuf bytes; inputs "a" [m, d] and "b" [n, d], output "scores" [m, n]. */
export function gemmTransBModel(): Uint8Array {
  const transB = [...stringField(1, "transB"), ...intField(20, ATTRIBUTE_INT), ...intField(3, 1)];
  const node = [
    ...stringField(1, "a"),
    ...stringField(1, "b"),
    ...stringField(2, "scores"),
    ...stringField(3, "dot_products"),
    ...stringField(4, "Gemm"),
    ...lengthDelimited(5, transB),
  ];
  const graph = [
    ...lengthDelimited(1, node),
    ...stringField(2, "batched_dot_products"),
    ...lengthDelimited(11, floatTensorInfo("a", ["m", "d"])),
    ...lengthDelimited(11, floatTensorInfo("b", ["n", "d"])),
    ...lengthDelimited(12, floatTensorInfo("scores", ["m", "n"])),
  ];
  const opset = [...stringField(1, ""), ...intField(2, 13)];
  const model = [
    ...intField(1, 7), // ir_version
    ...stringField(2, "radiology-draft"), // producer_name
    ...lengthDelimited(7, graph),
    ...lengthDelimited(8, opset),
  ];
  return new Uint8Array(model);
}
