import { Ajv } from 'ajv'
import t from 'tap'
import { contractSchemas, TEXT_RULE_KEYWORD, withTextRule } from '../src/index.js'

/** Every schema node that admits strings, with its JSON pointer. */
function stringNodes(node: unknown, path = ''): { path: string; node: Record<string, unknown> }[] {
  if (Array.isArray(node)) return node.flatMap((item, i) => stringNodes(item, `${path}/${i}`))
  if (node === null || typeof node !== 'object') return []
  const record = node as Record<string, unknown>
  const found = record.type === 'string' ? [{ path, node: record }] : []
  for (const [key, value] of Object.entries(record)) {
    if (key === 'default' || key === 'const' || key === 'enum' || key === 'examples') continue
    found.push(...stringNodes(value, `${path}/${key}`))
  }
  return found
}

t.test(
  'withTextRule puts the rule on every string schema of the contract, and leaves the original alone',
  async (t) => {
    for (const schema of contractSchemas) {
      const ruled = withTextRule(schema)
      const nodes = stringNodes(ruled)
      for (const { path, node } of nodes) t.equal(node[TEXT_RULE_KEYWORD], true, `${schema.$id}${path}`)
      t.equal(
        stringNodes(schema).filter(({ node }) => TEXT_RULE_KEYWORD in node).length,
        0,
        `${schema.$id}: not mutated`,
      )
    }
  },
)

t.test('a property named like a data keyword is still a schema', async (t) => {
  const ruled = withTextRule({
    type: 'object',
    properties: { default: { type: 'string' }, enum: { type: ['string', 'null'] } },
    default: { type: 'string' },
  })
  t.equal(ruled.properties.default[TEXT_RULE_KEYWORD as 'type'], true)
  t.equal(ruled.properties.enum[TEXT_RULE_KEYWORD as 'type'], true)
  t.strictSame(ruled.default, { type: 'string' }, 'a default value is data')
  const ajv = new Ajv({ strict: false })
  t.ok(ajv.compile(withTextRule({ type: 'string' })), 'compiles where the keyword is unknown (non-strict)')
})
