export const demoMessages = {
  en: {
    tryTitle: 'Try it with sample data',
    tryLead:
      'See the packs work in two minutes, before you connect anything: we add a sample mailbox, a calendar with a clash, a family shopping list, a few tasks, a reminder and a study document. All of it is marked as sample data and goes in one click.',
    tryAction: 'Try it with sample data',
    added: 'The sample data is here. Install a pack and run one of its agents to see what it proposes.',
    presentTitle: 'Sample data',
    presentLead:
      'This space holds sample data ({{messages}} messages, {{events}} calendar events, a shopping list and more). The sample accounts never connect anywhere.',
    remove: 'Remove the sample data',
    removeQuestion: 'Remove every piece of sample data? What you made yourself stays.',
    removeYes: 'Yes, remove it',
    removed: 'The sample data is gone.',
    browse: 'Browse packs',
  },
  he: {
    tryTitle: 'לנסות עם נתונים לדוגמה',
    tryLead:
      'רואים את החבילות עובדות תוך שתי דקות, עוד לפני שמחברים משהו: נוסיף תיבת דואר לדוגמה, יומן עם חפיפה, רשימת קניות משפחתית, כמה משימות, תזכורת ומסמך ללמידה. הכול מסומן כנתונים לדוגמה ונמחק בלחיצה אחת.',
    tryAction: 'לנסות עם נתונים לדוגמה',
    added: 'הנתונים לדוגמה כאן. אפשר להתקין חבילה ולהריץ אחד הסוכנים שלה כדי לראות מה הוא מציע.',
    presentTitle: 'נתונים לדוגמה',
    presentLead:
      'במרחב הזה יש נתונים לדוגמה ({{messages}} הודעות, {{events}} אירועים ביומן, רשימת קניות ועוד). החשבונות לדוגמה אף פעם לא מתחברים לשום מקום.',
    remove: 'להסיר את הנתונים לדוגמה',
    removeQuestion: 'להסיר את כל הנתונים לדוגמה? מה שיצרת בעצמך נשאר.',
    removeYes: 'כן, להסיר',
    removed: 'הנתונים לדוגמה הוסרו.',
    browse: 'לעיון בחבילות',
  },
};
