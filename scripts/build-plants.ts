// `npm run build:plants`: writes resources/plants/<plant>/{features,loss,optimizer}.onnx, forward.onnx and
// train.onnx for plants with a graph definition, and manifest.json; removes .onnx files the build no longer makes.
// Deterministic: a second run rewrites identical bytes (tests/unit/backends/plant-artifacts.test.ts checks
// the committed files against a fresh build).
import { mkdirSync, readdirSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { artifactPlants, buildPlantArtifacts } from '../main/backends/onnx/plant-artifacts.ts'
import { writeFileAtomic } from '../main/common/atomic-file.ts'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
for (const plant of artifactPlants()) {
  const dir = join(root, 'resources', 'plants', plant.id)
  mkdirSync(dir, { recursive: true })
  let total = 0
  const files = buildPlantArtifacts(plant)
  for (const [file, bytes] of files) {
    writeFileAtomic(join(dir, file), bytes)
    total += bytes.length
  }
  for (const file of readdirSync(dir)) if (file.endsWith('.onnx') && !files.has(file)) rmSync(join(dir, file))
  console.log(`${plant.id}: ${(total / 1024).toFixed(0)} kB in ${dir}`)
}
