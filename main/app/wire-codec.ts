// JSON with typed arrays, for the browser-mode WebSocket: Uint8Array and Float32Array travel as tagged
// base64 so the schemas see the same types over the wire as over Electron's structured clone. Runs in Node
// and in the page (uses only atob/btoa, which both have).

type Tagged = { $typed: 'u8' | 'f32'; b64: string }

function bytesToBase64(bytes: Uint8Array): string {
  let binary = ''
  const chunk = 0x8000 // String.fromCharCode takes arguments on the stack; keep each call small
  for (let i = 0; i < bytes.length; i += chunk) binary += String.fromCharCode(...bytes.subarray(i, i + chunk))
  return btoa(binary)
}

function base64ToBytes(b64: string): Uint8Array {
  const binary = atob(b64)
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}

export function encodeWire(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v instanceof Uint8Array) return { $typed: 'u8', b64: bytesToBase64(v) } satisfies Tagged
    if (v instanceof Float32Array) return { $typed: 'f32', b64: bytesToBase64(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)) } satisfies Tagged
    return v
  })
}

export function decodeWire(text: string): unknown {
  return JSON.parse(text, (_key, v: unknown) => {
    if (v && typeof v === 'object' && '$typed' in v && 'b64' in v) {
      const tagged = v as Tagged
      const bytes = base64ToBytes(tagged.b64)
      if (tagged.$typed === 'u8') return bytes
      if (tagged.$typed === 'f32') return new Float32Array(bytes.buffer, 0, bytes.byteLength >> 2)
    }
    return v
  })
}
