import { filledReview } from '../../../domain/render';

const DOC =
  '# Post-incident review: x\n\n## Summary\n\n- s\n\n## Root Cause Analysis\n\n- What happened?\n\n## Follow-up Actions\n\n| | |\n';

test('the templates give way to what people wrote, as text: no table cell, link or HTML from it', () => {
  const md = filledReview(DOC, {
    whatHappened: 'checkout | failed',
    why: '<img src=x onerror=alert(1)> [link](https://evil.example)',
    detection: null,
    resolution: '',
    prevention: 'canaries',
    actionItems: [
      {
        title: 'Add | a canary',
        owner: 'tech-lead',
        dueDate: '2026-12-31',
        status: 'open',
        link: 'https://t.example/1',
      },
    ],
  });
  expect(md.startsWith('# Post-incident review: x\n\n## Summary\n\n- s\n\n## Root Cause Analysis\n')).toBe(
    true,
  );
  expect(md).not.toContain('- What happened?\n');
  expect(md).toContain('- **What happened?** checkout \\| failed');
  expect(md).toContain(
    '- **Why did it happen?** \\<img src=x onerror=alert(1)\\> \\[link\\](https://evil.example)',
  );
  expect(md).toContain('- **How did we detect it?** _not answered yet_');
  expect(md).toContain('- **How did we resolve it?** _not answered yet_');
  expect(md).toContain('| Add \\| a canary | tech-lead | 2026-12-31 | open | https://t.example/1 |');
  expect(md.match(/## Follow-up Actions/g)).toHaveLength(1);
  expect(
    filledReview(DOC, {
      whatHappened: null,
      why: null,
      detection: null,
      resolution: null,
      prevention: null,
      actionItems: [],
    }),
  ).toContain('| none yet | | | | |');
});
