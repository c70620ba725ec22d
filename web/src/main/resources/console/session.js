// Who is signed in (from GET /api/v1/me) and what the console offers them. The API stays the guard:
// this only hides what a role may not do.
let me = null;

export const session = {
  get: () => me,
  set: (m) => { me = m; },
};

/** operate: operator or admin; approve: approver or admin; admin: admin. */
export function can(what) {
  const roles = (me && me.roles) || [];
  const has = (r) => roles.includes(r);
  if (has('admin')) return true;
  if (what === 'operate') return has('operator');
  if (what === 'approve') return has('approver');
  return false;
}
