/** Roles in a share, and what each may do. Owner > admin > writer > reader. */
export type Role = 'owner' | 'admin' | 'writer' | 'reader';
export type GrantableRole = Exclude<Role, 'owner'>;

export const ROLE_CODES: readonly Role[] = ['reader', 'writer', 'admin', 'owner'];
const RANK: Record<Role, number> = { reader: 0, writer: 1, admin: 2, owner: 3 };

export function roleRank(r: Role): number {
  return RANK[r];
}

/** May a member with `role` write documents and the manifest? */
export function canWrite(role: Role | undefined): boolean {
  return role !== undefined && RANK[role] >= RANK.writer;
}

/** May a member with `role` grant, revoke and rotate keys? */
export function canAdminister(role: Role | undefined): boolean {
  return role !== undefined && RANK[role] >= RANK.admin;
}

export function lowerRole(a: Role, b: Role): Role {
  return RANK[a] <= RANK[b] ? a : b;
}
