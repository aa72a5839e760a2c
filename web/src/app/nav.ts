import type { SessionView } from '@csme/contracts/accounts';

export interface NavItem {
  to: string;
  label: string;
  ns?: string;
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
    { key: 'main', items: [{ to: '/', label: 'nav.home' }] },
    {
      key: 'you',
      items: [
        { to: '/plans', label: 'nav.plans' },
        { to: '/promote', label: 'nav', ns: 'promote' },
        { to: '/settings', label: 'nav.settings' },
      ],
    },
  ];
  if (s.account.isOperator) {
    sections.push({
      key: 'operator',
      title: 'nav.admin',
      items: [
        { to: '/admin', label: 'nav.console', ns: 'operators' },
        { to: '/admin/people', label: 'nav.people', ns: 'operators' },
        { to: '/admin/plans', label: 'nav.plans', ns: 'operators' },
        { to: '/admin/costs', label: 'nav.costs', ns: 'operators' },
        { to: '/admin/lab', label: 'nav.lab', ns: 'operators' },
        { to: '/admin/settings', label: 'nav.settings', ns: 'operators' },
        { to: '/admin/mailbox', label: 'nav.mailbox' },
        { to: '/admin/billing', label: 'admin.nav', ns: 'plans' },
        { to: '/api-docs', label: 'nav.apiDocs' },
      ],
    });
  }
  return sections;
}
