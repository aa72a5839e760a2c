export const docsMessages = {
  en: {
    title: 'API reference',
    lead: 'Every endpoint of this instance, generated from the same schemas the server validates with. Errors always have the shape { error: { code, message, details? } }.',
    download: 'Download the OpenAPI document',
    request: 'Request body',
    response: 'Response',
    params: 'Parameters',
  },
  he: {
    title: 'תיעוד ה-API',
    lead: 'כל נקודות הקצה של השרת הזה, שנוצרו מאותן סכמות שהשרת בודק בהן. לשגיאות תמיד יש המבנה { error: { code, message, details? } }.',
    download: 'הורדת מסמך OpenAPI',
    request: 'גוף הבקשה',
    response: 'תשובה',
    params: 'פרמטרים',
  },
};
