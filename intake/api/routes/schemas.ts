/** JSON-schema pieces the routes share (and the OpenAPI document shows alike). */
export const errorBody = { type: 'object', properties: { error: { type: 'string' } } } as const;
export const nullableText = { type: 'string', nullable: true } as const;
export const nullableTime = { type: 'string', format: 'date-time', nullable: true } as const;
/** What a command to an incident may answer besides its 200: refused, unknown, invalid, Temporal away, no answer. */
export const commandRefusals = {
  403: errorBody,
  404: errorBody,
  409: errorBody,
  422: errorBody,
  503: errorBody,
  504: errorBody,
} as const;
