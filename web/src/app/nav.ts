import type { SessionView } from '@csme/contracts/accounts';

export interface NavItem {
  to: string;
  label: string;
  ns?: string;
  /** A live count shown beside the entry. */
  badge?: 'pendingSuggestions';
}
export interface NavSection {
  key: string;
  title?: string;
  items: NavItem[];
}

/**
 * The navigation. Each area adds its entries here when it lands (work, then settings, then operator tools),
 * so the menu only ever shows places that work.
 */
export function navSections(s: SessionView): NavSection[] {
  const sections: NavSection[] = [
    {
      key: 'main',
      items: [{ to: '/', label: 'nav.home' }],
    },
    {
      key: 'work',
      items: [
        { to: '/suggestions', label: 'nav.inbox', badge: 'pendingSuggestions' },
        { to: '/tasks', label: 'nav.tasks' },
        { to: '/packs', label: 'nav.packs' },
        { to: '/agents', label: 'nav.agents' },
        { to: '/runs', label: 'nav.runs' },
        { to: '/activity', label: 'nav.activity' },
        { to: '/connectors', label: 'nav.connectors' },
        { to: '/files', label: 'nav.files' },
      ],
    },
    {
      key: 'you',
      items: [
        { to: '/notifications', label: 'nav.notifications' },
        { to: '/plans', label: 'nav.plans' },
        { to: '/settings', label: 'nav.settings' },
      ],
    },
  ];
  if (s.account.isOperator) {
    sections.push({
      key: 'operator',
      title: 'nav.admin',
      items: [
        { to: '/admin/mailbox', label: 'nav.mailbox' },
        { to: '/admin/billing', label: 'nav.billing' },
        { to: '/api-docs', label: 'nav.apiDocs' },
      ],
    });
  }
  return sections;
}
