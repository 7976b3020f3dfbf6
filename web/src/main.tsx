import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { BrowserRouter } from "react-router";
import { createClient } from "@sallyport/client";
import { AuthProvider } from "@sallyport/client/react";
import { App } from "./App";
import "./styles.css";

// The API is on the same origin as the app; the access token stays in this
// module's memory and the refresh token in its HttpOnly cookie.
const client = createClient();

const root = document.getElementById("root");
if (!root) throw new Error("missing #root element");

createRoot(root).render(
  <StrictMode>
    <AuthProvider client={client}>
      <BrowserRouter>
        <App />
      </BrowserRouter>
    </AuthProvider>
  </StrictMode>,
);
