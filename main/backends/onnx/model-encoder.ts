// Graph IR → ONNX ModelProto bytes, written field by field from the ONNX .proto field numbers.
// Deterministic: no timestamps or random ids, nodes and initializers in creation order.
import { ProtoWriter } from './protobuf-writer.ts'
import type { Attr, DType, Graph, GraphNode, Initializer, ScanMeta, Value } from './graph.ts'

/** Opset 17 is the newest whose ReduceSum and Pad forms we use and that every onnxruntime ≥ 1.14 accepts. */
export const OPSET = 17
/** IR version 8 goes with opset 17 (ONNX 1.12). */
export const IR_VERSION = 8

const ELEM_TYPE: Record<DType, number> = { float32: 1, int64: 7, bool: 9 }

// Field numbers (onnx.proto).
const MODEL = { irVersion: 1, producerName: 2, producerVersion: 3, docString: 6, graph: 7, opsetImport: 8 }
const OPSET_ID = { domain: 1, version: 2 }
const GRAPH = { node: 1, name: 2, initializer: 5, input: 11, output: 12 }
const NODE = { input: 1, output: 2, name: 3, opType: 4, attribute: 5 }
const ATTR = { name: 1, f: 2, i: 3, s: 4, g: 6, ints: 8, type: 20 }
const ATTR_TYPE = { float: 1, int: 2, string: 3, graph: 5, ints: 7 }
const TENSOR = { dims: 1, dataType: 2, name: 8, rawData: 9 }
const VALUE_INFO = { name: 1, type: 2 }
const TYPE = { tensorType: 1 }
const TENSOR_TYPE = { elemType: 1, shape: 2 }
const SHAPE = { dim: 1 }
const DIM = { dimValue: 1 }

function writeAttr(w: ProtoWriter, name: string, attr: Attr): void {
  w.string(ATTR.name, name)
  switch (attr.kind) {
    case 'int':
      w.int(ATTR.i, attr.value).int(ATTR.type, ATTR_TYPE.int)
      break
    case 'ints':
      w.packedInts(ATTR.ints, attr.value).int(ATTR.type, ATTR_TYPE.ints)
      break
    case 'float':
      w.float(ATTR.f, attr.value).int(ATTR.type, ATTR_TYPE.float)
      break
    case 'string':
      w.string(ATTR.s, attr.value).int(ATTR.type, ATTR_TYPE.string)
      break
    case 'graph':
      w.message(ATTR.g, (gw) => writeGraph(gw, attr.value, attr.value.prefix.replace(/\/$/, ''))).int(ATTR.type, ATTR_TYPE.graph)
      break
  }
}

function writeNode(w: ProtoWriter, node: GraphNode, index: number, prefix: string): void {
  // A Scan's invariants are listed as IR inputs (for the reverse pass) but reach the body as outer-scope names.
  const meta = node.meta as unknown as ScanMeta
  const inputs = node.op === 'Scan' ? node.inputs.slice(0, meta.numStates + meta.numScanInputs) : node.inputs
  for (const v of inputs) w.string(NODE.input, v.name)
  for (const v of node.outputs) w.string(NODE.output, v.name)
  w.string(NODE.name, `${prefix}n${index}`)
  w.string(NODE.opType, node.op)
  for (const name of Object.keys(node.attrs).sort()) w.message(NODE.attribute, (a) => writeAttr(a, name, node.attrs[name]!))
}

function writeInitializer(w: ProtoWriter, init: Initializer): void {
  w.packedInts(TENSOR.dims, init.value.shape)
  w.int(TENSOR.dataType, ELEM_TYPE[init.value.dtype])
  w.string(TENSOR.name, init.value.name)
  // raw_data is little-endian by the ONNX spec; typed arrays are little-endian on every platform we ship.
  w.bytes(TENSOR.rawData, new Uint8Array(init.data.buffer, init.data.byteOffset, init.data.byteLength))
}

function writeValueInfo(w: ProtoWriter, v: Value): void {
  w.string(VALUE_INFO.name, v.name)
  w.message(VALUE_INFO.type, (t) =>
    t.message(TYPE.tensorType, (tt) => {
      tt.int(TENSOR_TYPE.elemType, ELEM_TYPE[v.dtype])
      tt.message(TENSOR_TYPE.shape, (s) => {
        for (const d of v.shape) s.message(SHAPE.dim, (dim) => dim.int(DIM.dimValue, d))
      })
    }),
  )
}

/**
 * Nodes that reach an output, and the initializers they read. The reverse pass builds every operand's VJP
 * and the caller keeps what it needs (e.g. the gradient of one Mul input): the rest would still run in ORT.
 */
function liveParts(g: Graph): { nodes: [GraphNode, number][]; initializers: Initializer[] } {
  const used = new Set(g.outputs.map((v) => v.name))
  const live: [GraphNode, number][] = []
  for (let i = g.nodes.length - 1; i >= 0; i--) {
    const node = g.nodes[i]!
    if (!node.outputs.some((o) => used.has(o.name))) continue
    live.push([node, i])
    for (const v of node.inputs) used.add(v.name)
  }
  return { nodes: live.reverse(), initializers: g.initializers.filter((init) => used.has(init.value.name)) }
}

/** A GraphProto: the model's main graph, or a Scan body (its node names carry the body's prefix). */
function writeGraph(gw: ProtoWriter, g: Graph, name: string): void {
  const { nodes, initializers } = liveParts(g)
  for (const [node, i] of nodes) gw.message(GRAPH.node, (nw) => writeNode(nw, node, i, g.prefix))
  gw.string(GRAPH.name, name)
  for (const init of initializers) gw.message(GRAPH.initializer, (tw) => writeInitializer(tw, init))
  for (const v of g.inputs) gw.message(GRAPH.input, (vw) => writeValueInfo(vw, v))
  for (const v of g.outputs) gw.message(GRAPH.output, (vw) => writeValueInfo(vw, v))
}

export interface ModelInfo {
  name: string
  docString?: string
}

export function encodeModel(g: Graph, info: ModelInfo): Uint8Array {
  const w = new ProtoWriter()
  w.int(MODEL.irVersion, IR_VERSION)
  w.string(MODEL.producerName, 'aeddsp-studio')
  w.string(MODEL.producerVersion, '1')
  if (info.docString) w.string(MODEL.docString, info.docString)
  w.message(MODEL.graph, (gw) => writeGraph(gw, g, info.name))
  w.message(MODEL.opsetImport, (o) => o.string(OPSET_ID.domain, '').int(OPSET_ID.version, OPSET))
  return w.finish()
}
