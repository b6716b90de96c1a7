// The server-rendered pages outside the dashboard (sign-in, sign-up, first-run setup, the consent
// page) and what other routers need of them. The layout and error page they share with the
// dashboard are in ../views/.

export { createAuthPages, SIGNIN_FAILED } from './auth-pages.tsx';
export { ConsentPage, type ConsentPageProps } from './consent.tsx';
export { pagesErrorHandler } from './error-handler.ts';
export { safeReturnTo } from './return-to.ts';
export { createSetupRoutes } from './setup.tsx';
