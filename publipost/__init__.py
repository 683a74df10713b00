"""publipost: direct-mail and e-mail campaigns, mail-merged, linted and sent.

The library comes first; the `publipost` command is a thin layer over it:

    from publipost import prepare, render_text
    prepared = prepare("examples/vente-couette/campaign.yaml")
    print(prepared.audience.counts)
"""

from publipost.errors import PublipostError

__version__ = "0.1.0"
__all__ = ["PublipostError", "load_audience", "load_campaign", "prepare", "render_text"]


def __getattr__(name: str):
    # Lazy: `publipost lint` must start fast, without pandas or pydantic.
    if name in ("prepare", "render_text"):
        from publipost import pipeline

        return getattr(pipeline, name)
    if name == "load_campaign":
        from publipost.campaigns.load import load_campaign

        return load_campaign
    if name == "load_audience":
        from publipost.campaigns.audience import load_audience

        return load_audience
    raise AttributeError(name)
