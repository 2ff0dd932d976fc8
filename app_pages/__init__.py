"""The app's pages, in the order the navigation shows them: the one list that app.py and the tests read.

Each page is a plain script in this folder that Streamlit runs (never imported); app.py builds
`st.navigation` from `PAGES`, and the AppTest and browser tests open every page from it too, so a page
added here is in the app and under test at once.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class AppPage:
    """One page: its script and what `st.Page` shows for it."""

    script: str  # relative to app.py, as `st.Page` and `AppTest.switch_page` take it
    title: str  # in the navigation and the browser tab
    icon: str
    url_path: str | None = None  # where the page is served; the default page is served at the root instead
    default: bool = False

    @property
    def address(self):
        """The path after the app's root URL that opens this page: `""` for the default page."""
        return "" if self.default else self.url_path


PAGES = (
    AppPage("app_pages/home.py", "Home", ":material/home:", default=True),
    AppPage("app_pages/train.py", "Train", ":material/model_training:", "train"),
    AppPage("app_pages/latent.py", "Latent space", ":material/scatter_plot:", "latent"),
    AppPage("app_pages/reconstructions.py", "Reconstructions", ":material/compare:", "reconstructions"),
    AppPage("app_pages/denoise.py", "Denoise your images", ":material/auto_fix_high:", "denoise"),
    AppPage("app_pages/anomaly.py", "Anomaly detection", ":material/troubleshoot:", "anomaly"),
    AppPage("app_pages/search.py", "Similar images", ":material/image_search:", "search"),
    AppPage("app_pages/completion.py", "Complete a hidden part", ":material/format_paint:", "completion"),
    AppPage("app_pages/linear_pca.py", "Linear AE vs PCA", ":material/linear_scale:", "linear-pca"),
)
