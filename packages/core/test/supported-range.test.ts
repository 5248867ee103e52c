import fc from 'fast-check'
import t from 'tap'
import {
  clampToSupportedRange,
  isStorableText,
  isSupportedInstant,
  isSupportedSpan,
  planningRange,
  SUPPORTED_RANGE,
} from '../src/index.js'
import { aCalendar, MINUTE } from './builders.js'

t.test('the supported range: 1970-01-01T00:00:00Z to 9999-12-31T00:00:00Z, both included', async (t) => {
  t.equal(new Date(SUPPORTED_RANGE.start).toISOString(), '1970-01-01T00:00:00.000Z')
  t.equal(new Date(SUPPORTED_RANGE.end).toISOString(), '9999-12-31T00:00:00.000Z')
  t.ok(isSupportedInstant(SUPPORTED_RANGE.start))
  t.ok(isSupportedInstant(SUPPORTED_RANGE.end))
  t.notOk(isSupportedInstant(SUPPORTED_RANGE.start - 1))
  t.notOk(isSupportedInstant(SUPPORTED_RANGE.end + 1))
  t.ok(isSupportedSpan(SUPPORTED_RANGE.end - 90 * MINUTE, 60, 30), 'end + buffer exactly at the bound')
  t.notOk(isSupportedSpan(SUPPORTED_RANGE.end - 90 * MINUTE, 60, 31), 'one buffer minute past it')
  t.notOk(isSupportedSpan(SUPPORTED_RANGE.start + 10 * MINUTE, 60, 11), 'start − buffer before 1970')
})

t.test(
  'planning look-ups are cut to the supported range, so an edge event can be looked up around',
  async (t) => {
    const settings = aCalendar({ bufferMinutes: 1440, horizonDays: 3650 })
    const edge = { durationMinutes: 1440, requestedStart: SUPPORTED_RANGE.end - 60 * MINUTE }
    const range = planningRange(settings, Date.now(), edge)
    t.equal(range.end, SUPPORTED_RANGE.end)
    t.ok(/^\d{4}-/.test(new Date(range.end).toISOString()), 'writable as RFC 3339')
    const early = planningRange(settings, Date.now(), {
      durationMinutes: 30,
      requestedStart: SUPPORTED_RANGE.start,
    })
    t.equal(early.start, SUPPORTED_RANGE.start)
    fc.assert(
      fc.property(
        fc.integer({ min: -8.64e15, max: 8.64e15 }),
        fc.integer({ min: 0, max: 8.64e15 }),
        (start, length) => {
          const cut = clampToSupportedRange({ start, end: start + length })
          return isSupportedInstant(cut.start) && isSupportedInstant(cut.end) && cut.start <= cut.end
        },
      ),
    )
  },
)

t.test('storable text: no NUL, no unpaired surrogate; everything else', async (t) => {
  for (const text of ['', 'Board sync', 'café', '😀', 'a\ud83d\ude00b', '\u200f\u202e', '\uffff', '\u0001']) {
    t.ok(isStorableText(text), JSON.stringify(text))
  }
  for (const text of ['a\u0000b', '\ud83d', 'x\ud83dy', '\ude00', '\ude00\ud83d', 'ok\ud800']) {
    t.notOk(isStorableText(text), JSON.stringify(text))
  }
  // The definition: a string is storable when it survives UTF-8 and holds no NUL
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 20 }), (text) => {
      const survives = Buffer.from(text, 'utf8').toString('utf8') === text
      return isStorableText(text) === (survives && !text.includes('\u0000'))
    }),
  )
})
