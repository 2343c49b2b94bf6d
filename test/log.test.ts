/** The node's logger (src/log.ts): levels, both formats, value conversion, redaction, escaping. */
import { expect } from 'chai'
import { createLogger, type LogFn } from '../src/log.ts'

function capture (o: Parameters<typeof createLogger>[0] = {}): { log: LogFn, lines: string[] } {
  const lines: string[] = []
  return { log: createLogger({ now: () => new Date(0), write: (l) => { lines.push(l) }, ...o }), lines }
}

describe('log', () => {
  it('writes one line per event at or above its level, text and json', () => {
    const t = capture({ level: 'info', name: 'node-1' })
    t.log('debug', 'hidden')
    t.log('info', 'started', { height: 5n, peers: 2, hash: Uint8Array.of(0xab, 0xcd), error: new Error('boom'), note: 'two words' })
    expect(t.lines).to.deep.equal(['1970-01-01T00:00:00.000Z INFO  [node-1] started height=5 peers=2 hash=abcd error=boom note="two words"'])
    const j = capture({ format: 'json' })
    j.log('warn', 'slow', { ms: 12, big: 2n ** 70n })
    expect(JSON.parse(j.lines[0] as string)).to.deep.equal({ time: '1970-01-01T00:00:00.000Z', level: 'warn', msg: 'slow', ms: 12, big: '1180591620717411303424' })
  })

  it('redacts fields named like secrets, at the top and nested; bigints and bytes nested are converted, not thrown on', () => {
    for (const format of ['text', 'json'] as const) {
      const c = capture({ format })
      c.log('info', 'opts', { password: 'hunter2', opts: { dir: '/d', passwordFile: '/p', privateKey: Uint8Array.of(1, 2), list: [{ seed: 'x', n: 3n }] } })
      const line = c.lines[0] as string
      expect(line, format).to.not.include('hunter2')
      expect(line, format).to.not.include('"/p"')
      expect(line, format).to.not.include('0102')
      expect(line, format).to.not.match(/"x"/)
      expect(line, format).to.include('[redacted]')
      expect(line, format).to.include('"n":"3"')
    }
  })

  it('escapes control characters in messages and values: a logged value cannot forge a line or drive the terminal', () => {
    const c = capture()
    c.log('warn', 'peer said\nERROR fake', { agent: 'x\u001b[2Jy', name: 'a\rb' })
    expect(c.lines).to.have.length(1)
    const line = c.lines[0] as string
    // eslint-disable-next-line no-control-regex
    expect(line).to.not.match(/[\u0000-\u001f\u007f-\u009f]/)
    expect(line).to.include('peer said\\u000aERROR fake')
    expect(line).to.include('agent="x\\u001b[2Jy"')
  })
})
