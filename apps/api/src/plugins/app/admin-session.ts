import fastifyCookie from '@fastify/cookie'
import { sessionSecret } from '@scheduler/config'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { HttpProblem, UnauthorizedProblem } from '../../errors.js'

/** The session cookie of the admin pages (`/admin/…`): signed, HttpOnly, SameSite=Strict. */
export const ADMIN_SESSION_COOKIE = 'scheduler_admin_session'
const COOKIE_PATH = '/admin'
/** A session lasts at most this long, and never beyond the signing-in token's `exp`. */
const SESSION_MAX_MS = 8 * 60 * 60 * 1000

/** What the signed cookie carries: who signed in and until when (epoch milliseconds). */
export interface AdminSession {
  sub: string | null
  expiresAt: number
}

/** A state-changing admin request sent from another site (CSRF), refused. */
export class CrossSiteRequestProblem extends HttpProblem {
  override name = 'CrossSiteRequestProblem'
  readonly status = 403
  readonly title = 'Cross-site request refused'
  readonly slug = 'cross-site-request'
}

declare module 'fastify' {
  interface FastifyInstance {
    adminSession: {
      /** Sets the session cookie for verified claims; `exp` (seconds) bounds the session. */
      issue(request: FastifyRequest, reply: FastifyReply, claims: { sub?: string; exp: number }): AdminSession
      /** Expires the session cookie. */
      clear(request: FastifyRequest, reply: FastifyReply): void
      /** The request's valid, unexpired session, or null. */
      read(request: FastifyRequest): AdminSession | null
      /**
       * An `onRequest` hook for the admin pages: refuses cross-site state-changing requests (403), then
       * requires a valid session (401).
       */
      require(request: FastifyRequest): Promise<void>
      /** Refuses a state-changing request sent from another site (403). */
      requireSameOrigin(request: FastifyRequest): void
    }
  }
}

/** Whether the peer of the request's socket is this machine (127.0.0.0/8, ::1, IPv4-mapped forms). */
export function isLoopbackPeer(request: FastifyRequest): boolean {
  const address = (request.socket?.remoteAddress ?? '').replace(/^::ffff:/i, '')
  return address === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address)
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/**
 * Whether a request comes from another site, by the browser's own headers: `Sec-Fetch-Site` other than
 * `same-origin` or `none` (typed by the user), or an `Origin` whose host is not this request's host (or
 * PUBLIC_URL's). A request with neither header is not from a browser page (curl, scripts) and passes:
 * the SameSite=Strict cookie is what keeps older browsers from sending the session cross-site.
 */
export function isCrossSite(request: FastifyRequest, publicUrl: string | undefined): boolean {
  const site = request.headers['sec-fetch-site']
  if (typeof site === 'string' && site !== 'same-origin' && site !== 'none') return true
  const origin = request.headers.origin
  if (typeof origin !== 'string') return false
  if (publicUrl !== undefined && origin === new URL(publicUrl).origin) return false
  try {
    // Host compared under the origin's scheme, so that default ports compare equal (`x` and `x:443`)
    const from = new URL(origin)
    return new URL(`${from.protocol}//${request.host}`).host !== from.host
  } catch {
    return true
  }
}

/**
 * The admin session: `POST /admin/session` trades a `calendar:admin` bearer token for a signed cookie
 * (HMAC-SHA256 with SESSION_SECRET, via `@fastify/cookie`), so the dashboard never needs the token in a
 * URL. The cookie is HttpOnly, SameSite=Strict, `Path=/admin`, Secure unless the client connects over
 * loopback (decided by the socket's peer address, never by a header), and expires with the token (at most
 * 8 h). The session is stateless: signing out expires the cookie in the browser.
 */
export default fp(
  async (app: FastifyInstance) => {
    await app.register(fastifyCookie, { secret: sessionSecret(app.config), hook: 'onRequest' })
    const publicUrl = app.config.PUBLIC_URL

    function cookieOptions(request: FastifyRequest) {
      return {
        path: COOKIE_PATH,
        httpOnly: true,
        sameSite: 'strict' as const,
        secure: !isLoopbackPeer(request),
        signed: true,
      }
    }

    function requireSameOrigin(request: FastifyRequest): void {
      if (!SAFE_METHODS.has(request.method) && isCrossSite(request, publicUrl)) {
        throw new CrossSiteRequestProblem(
          'Admin changes must come from the admin pages themselves (same origin); this request came from another site',
        )
      }
    }

    function read(request: FastifyRequest): AdminSession | null {
      const raw = request.cookies[ADMIN_SESSION_COOKIE]
      if (raw === undefined) return null
      const unsigned = request.unsignCookie(raw)
      if (!unsigned.valid || unsigned.value === null) return null
      try {
        const session = JSON.parse(Buffer.from(unsigned.value, 'base64url').toString('utf8')) as AdminSession
        if (typeof session.expiresAt !== 'number' || session.expiresAt <= Date.now()) return null
        return session
      } catch {
        return null
      }
    }

    app.decorate('adminSession', {
      issue(request, reply, claims) {
        const now = Date.now()
        const session: AdminSession = {
          sub: claims.sub ?? null,
          expiresAt: Math.min(claims.exp * 1000, now + SESSION_MAX_MS),
        }
        const value = Buffer.from(JSON.stringify(session), 'utf8').toString('base64url')
        reply.setCookie(ADMIN_SESSION_COOKIE, value, {
          ...cookieOptions(request),
          expires: new Date(session.expiresAt),
          maxAge: Math.max(0, Math.floor((session.expiresAt - now) / 1000)),
        })
        return session
      },
      clear(request, reply) {
        reply.clearCookie(ADMIN_SESSION_COOKIE, cookieOptions(request))
      },
      read,
      requireSameOrigin,
      async require(request) {
        requireSameOrigin(request)
        if (read(request) === null) {
          throw new UnauthorizedProblem(
            'Sign in first: POST /admin/session with a calendar:admin bearer token sets the session cookie',
            null,
          )
        }
      },
    })
  },
  { name: 'admin-session', dependencies: ['env'] },
)
