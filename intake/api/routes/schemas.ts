/** JSON-schema pieces the routes share (and the OpenAPI document shows alike). */
export const errorBody = { type: 'object', properties: { error: { type: 'string' } } } as const;
export const nullableText = { type: 'string', nullable: true } as const;
export const nullableTime = { type: 'string', format: 'date-time', nullable: true } as const;
