import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { artifactPlants, buildPlantArtifacts } from '../../../main/backends/onnx/plant-artifacts.ts'
import { createSession, ort } from '../../../main/backends/ort/session.ts'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const small = { sampleRate: 8000, numSamples: 1600, batch: 2 }

test('building the artifacts twice gives identical bytes', () => {
  for (const plant of artifactPlants()) {
    const first = buildPlantArtifacts(plant, small)
    const second = buildPlantArtifacts(plant, small)
    // forward/train.onnx exist for plants with a graph definition (plant-graphs.ts); subtractive has one.
    const graphFiles = first.has('train.onnx') ? ['forward.onnx', 'train.onnx'] : []
    if (plant.id === 'subtractive') assert.deepEqual(graphFiles, ['forward.onnx', 'train.onnx'])
    assert.deepEqual([...first.keys()], ['features.onnx', 'loss.onnx', ...graphFiles, 'optimizer.onnx', 'manifest.json'])
    for (const [file, bytes] of first) assert.ok(Buffer.from(bytes).equals(Buffer.from(second.get(file)!)), `${plant.id}/${file} differs between two builds`)
  }
})

test('the committed resources/plants artifacts match a fresh build (run `npm run build:plants` after changing the loss or a plant)', () => {
  for (const plant of artifactPlants()) {
    for (const [file, bytes] of buildPlantArtifacts(plant)) {
      const path = join(root, 'resources', 'plants', plant.id, file)
      assert.ok(existsSync(path), `${path} is missing; run npm run build:plants`)
      assert.ok(readFileSync(path).equals(Buffer.from(bytes)), `${path} is stale; run npm run build:plants and commit the result`)
    }
  }
})

test('every artifact loads in onnxruntime with the inputs and outputs its manifest lists', async () => {
  for (const plant of artifactPlants()) {
    const files = buildPlantArtifacts(plant, small)
    const manifest = JSON.parse(new TextDecoder().decode(files.get('manifest.json'))) as {
      models: Record<string, { inputs: { name: string; shape: number[] }[]; outputs: { name: string; shape: number[] }[] }>
    }
    for (const [file, spec] of Object.entries(manifest.models)) {
      const { session } = await createSession(files.get(file)!, { threads: 1 })
      assert.deepEqual(session.inputNames, spec.inputs.map((i) => i.name), `${file} inputs`)
      assert.deepEqual(session.outputNames, spec.outputs.map((o) => o.name), `${file} outputs`)
      // Feed small non-zero values: every output must come back finite with its declared shape.
      const feeds = Object.fromEntries(spec.inputs.map((i) => {
        const size = i.shape.reduce((a, b) => a * b, 1)
        return [i.name, new ort.Tensor('float32', Float32Array.from({ length: size }, (_, k) => 0.1 + 0.3 * Math.sin(k)), i.shape)]
      }))
      const out = await session.run(feeds)
      for (const o of spec.outputs) {
        assert.deepEqual(out[o.name]!.dims, o.shape, `${file} output ${o.name} shape`)
        assert.ok((out[o.name]!.data as Float32Array).every(Number.isFinite), `${file} output ${o.name} is finite`)
      }
      await session.release()
    }
  }
})
