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
    {
      key: 'main',
      items: [
        { to: '/', label: 'nav.home' },
        { to: '/marketplace', label: 'nav.browse', ns: 'marketplace' },
      ],
    },
    {
      key: 'you',
      items: [
        { to: '/plans', label: 'nav.plans' },
        { to: '/studio', label: 'nav.studio', ns: 'marketplace' },
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
        { to: '/admin/billing', label: 'admin.nav', ns: 'plans' },
        { to: '/admin/marketplace', label: 'nav.review', ns: 'marketplace' },
        { to: '/api-docs', label: 'nav.apiDocs' },
      ],
    });
  }
  return sections;
}
