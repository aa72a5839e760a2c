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
      items: [
        { to: '/', label: 'nav.home' },
        { to: '/marketplace', label: 'nav.browse' },
      ],
    },
    {
      key: 'apps',
      title: 'nav.sectionApps',
      items: [
        { to: '/suggestions', label: 'nav.inbox', badge: 'pendingSuggestions' },
        { to: '/tasks', label: 'nav.tasks' },
        { to: '/calendar', label: 'nav.calendar' },
        { to: '/lists', label: 'nav.lists' },
        { to: '/reminders', label: 'nav.reminders' },
        { to: '/notes', label: 'nav.notes' },
        { to: '/contacts', label: 'nav.contacts' },
        { to: '/invoices', label: 'nav.invoices' },
        { to: '/expenses', label: 'nav.expenses' },
        { to: '/study', label: 'nav.study' },
      ],
    },
    {
      key: 'agents',
      title: 'nav.sectionAgents',
      items: [
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
      title: 'nav.sectionYou',
      items: [
        { to: '/notifications', label: 'nav.notifications' },
        { to: '/family', label: 'nav.family' },
        { to: '/plans', label: 'nav.plans' },
        { to: '/studio', label: 'nav.studio' },
        { to: '/promote', label: 'nav.promote' },
        { to: '/privacy', label: 'nav.privacy' },
        { to: '/settings', label: 'nav.settings' },
      ],
    },
  ];
  if (s.account.isOperator) {
    sections.push({
      key: 'operator',
      title: 'nav.admin',
      items: [
        { to: '/admin', label: 'nav.console' },
        { to: '/admin/people', label: 'nav.people' },
        { to: '/admin/plans', label: 'nav.planVersions' },
        { to: '/admin/costs', label: 'nav.costs' },
        { to: '/admin/lab', label: 'nav.lab' },
        { to: '/admin/settings', label: 'nav.instanceSettings' },
        { to: '/admin/mailbox', label: 'nav.mailbox' },
        { to: '/admin/billing', label: 'nav.billing' },
        { to: '/admin/marketplace', label: 'nav.review' },
        { to: '/api-docs', label: 'nav.apiDocs' },
      ],
    });
  }
  return sections;
}
