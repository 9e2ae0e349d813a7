// Eigen-decomposition of a symmetric matrix by cyclic Jacobi rotations: small (n ≤ ~150), exact enough for CMA-ES,
// and dependency-free. matrix is n×n row-major and is destroyed; values get the eigenvalues, vectors (row-major)
// the eigenvectors as columns.

export function symmetricEigen(matrix: Float64Array, n: number, values: Float64Array, vectors: Float64Array): void {
  const a = matrix
  vectors.fill(0)
  for (let i = 0; i < n; i++) vectors[i * n + i] = 1
  for (let sweep = 0; sweep < 50; sweep++) {
    let off = 0
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q]! ** 2
    if (off < 1e-22) break
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q]!
        if (Math.abs(apq) < 1e-300) continue
        const theta = (a[q * n + q]! - a[p * n + p]!) / (2 * apq)
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1))
        const c = 1 / Math.sqrt(t * t + 1)
        const s = t * c
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p]!
          const akq = a[k * n + q]!
          a[k * n + p] = c * akp - s * akq
          a[k * n + q] = s * akp + c * akq
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k]!
          const aqk = a[q * n + k]!
          a[p * n + k] = c * apk - s * aqk
          a[q * n + k] = s * apk + c * aqk
        }
        for (let k = 0; k < n; k++) {
          const vkp = vectors[k * n + p]!
          const vkq = vectors[k * n + q]!
          vectors[k * n + p] = c * vkp - s * vkq
          vectors[k * n + q] = s * vkp + c * vkq
        }
      }
    }
  }
  for (let i = 0; i < n; i++) values[i] = a[i * n + i]!
}
