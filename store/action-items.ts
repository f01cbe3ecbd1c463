/** Follow-up actions of a review: title, owner, due date, status, link, for one incident. */
import type { Queryable } from './sql-client';

export const ACTION_ITEM_STATUSES = ['open', 'in-progress', 'done', 'wont-do'] as const;
export type ActionItemStatus = (typeof ACTION_ITEM_STATUSES)[number];

export interface ActionItem {
  id: string;
  incidentId: string;
  title: string;
  owner: string | null;
  /** A calendar date, YYYY-MM-DD. */
  dueDate: string | null;
  status: ActionItemStatus;
  link: string | null;
  createdAt: string;
  updatedAt: string;
}

export type ActionItemChange = Partial<Pick<ActionItem, 'title' | 'owner' | 'dueDate' | 'status' | 'link'>>;

type Row = {
  id: string;
  incident_id: string;
  title: string;
  owner: string | null;
  due_date: string | null;
  status: ActionItemStatus;
  link: string | null;
  created_at: Date;
  updated_at: Date;
};

// The date as text: a `date` column read back as a JS Date would shift by the reader's time zone.
const COLUMNS = `id::text AS id, incident_id, title, owner, to_char(due_date, 'YYYY-MM-DD') AS due_date, status,
  link, created_at, updated_at`;

const fromRow = (r: Row): ActionItem => ({
  id: r.id,
  incidentId: r.incident_id,
  title: r.title,
  owner: r.owner,
  dueDate: r.due_date,
  status: r.status,
  link: r.link,
  createdAt: new Date(r.created_at).toISOString(),
  updatedAt: new Date(r.updated_at).toISOString(),
});

export async function createActionItem(
  db: Queryable,
  item: Pick<ActionItem, 'incidentId' | 'title'> & ActionItemChange,
): Promise<ActionItem> {
  const { rows } = await db.query<Row>(
    `INSERT INTO action_items (incident_id, title, owner, due_date, status, link)
     VALUES ($1, $2, $3, $4::date, $5, $6) RETURNING ${COLUMNS}`,
    [
      item.incidentId,
      item.title,
      item.owner ?? null,
      item.dueDate ?? null,
      item.status ?? 'open',
      item.link ?? null,
    ],
  );
  return fromRow(rows[0]);
}

/** Changes the given fields; null when there is no item by that id. */
export async function updateActionItem(
  db: Queryable,
  id: string,
  change: ActionItemChange,
): Promise<ActionItem | null> {
  if (!/^\d{1,18}$/.test(id)) return null;
  const columns = {
    title: 'title',
    owner: 'owner',
    dueDate: 'due_date',
    status: 'status',
    link: 'link',
  } as const;
  const sets: string[] = [];
  const params: unknown[] = [id];
  for (const [key, column] of Object.entries(columns)) {
    const value = change[key as keyof ActionItemChange];
    if (value === undefined) continue;
    params.push(value);
    sets.push(`${column} = $${params.length}${column === 'due_date' ? '::date' : ''}`);
  }
  const { rows } = await db.query<Row>(
    `UPDATE action_items SET ${[...sets, 'updated_at = now()'].join(', ')} WHERE id = $1 RETURNING ${COLUMNS}`,
    params,
  );
  return rows[0] ? fromRow(rows[0]) : null;
}

export async function listActionItems(
  db: Queryable,
  filter: { incidentId?: string; status?: ActionItemStatus; owner?: string },
): Promise<ActionItem[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  for (const [column, value] of [
    ['incident_id', filter.incidentId],
    ['status', filter.status],
    ['owner', filter.owner],
  ] as const)
    if (value !== undefined) {
      params.push(value);
      where.push(`${column} = $${params.length}`);
    }
  const { rows } = await db.query<Row>(
    `SELECT ${COLUMNS} FROM action_items ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id LIMIT 1000`,
    params,
  );
  return rows.map(fromRow);
}
