// Reads an Iceberg table with icebird (a pure-JavaScript Iceberg reader: hyparquet, no Java) and
// prints its rows as one JSON object per line. Used by IcebergInteropIT.
//
//   node icebird-read.mjs <table location> <metadata file name>
//
// icebird fetch()es every path it reads (metadata JSON, Avro manifests, Parquet files, with HEAD
// and Range requests). Node's fetch cannot read local files, so this shim serves absolute paths
// and file: URLs from disk and hands anything else to the real fetch.
import { open, readFile, stat } from 'node:fs/promises'
import { icebergRead } from 'icebird'

const realFetch = globalThis.fetch
globalThis.fetch = async (input, init = {}) => {
  const url = typeof input === 'string' ? input : input.url
  if (!url.startsWith('/') && !url.startsWith('file:')) return realFetch(input, init)
  const path = url.startsWith('file:') ? new URL(url).pathname : url
  const size = (await stat(path)).size
  if ((init.method ?? 'GET') === 'HEAD') {
    return new Response(null, { status: 200, headers: { 'content-length': String(size) } })
  }
  const range = new Headers(init.headers).get('range')
  if (!range) return new Response(await readFile(path), { status: 200 })
  const [, from, to] = /bytes=(\d+)-(\d*)/.exec(range)
  const start = Number(from)
  const end = to === '' ? size - 1 : Math.min(Number(to), size - 1)
  const buffer = Buffer.alloc(end - start + 1)
  const file = await open(path, 'r')
  try {
    await file.read(buffer, 0, buffer.length, start)
  } finally {
    await file.close()
  }
  return new Response(buffer, { status: 206, headers: { 'content-length': String(buffer.length) } })
}

const [tableUrl, metadataFileName] = process.argv.slice(2)
const rows = await icebergRead({ tableUrl, metadataFileName })
for (const row of rows) {
  const out = {}
  for (const [k, v] of Object.entries(row)) {
    if (v instanceof Date) out[k] = { date: v.toISOString(), millis: v.getTime() }
    else if (typeof v === 'bigint') out[k] = v.toString()
    else out[k] = v
  }
  console.log(JSON.stringify(out))
}
