/** Where to go after signing in or up: a path of this app from `?next=`, never another site. */
export const safeNext = (next: string | null) => (next?.startsWith('/') && !next.startsWith('//') ? next : '/');
