"""Train: a new AE, VAE, GAN or conditional VAE in a background thread, with live progress and
loss curves.

The job runs in ``core.training.jobs`` (a thread per start); this page only polls it once a second
in a
fragment, so the rest of the app stays usable. The result is a new checkpoint file with a unique
name, which the sidebar's model picker lists on the next run.
"""

from __future__ import annotations

import streamlit as st

from core.data.datasets import DatasetUnavailable
from core.models.registry import CONDITIONAL_KINDS, GENERATIVE_KINDS
from core.training.devices import available_devices
from core.training.jobs import JobSnapshot, TrainingJob
from core.training.recipes import defaults_for
from ui import plots, state
from ui.compute import resources
from ui.playback import finished_playback, live_playback

# the kinds a person trains here
TITLES = {
    "ae": "Autoencoder",
    "vae": "VAE",
    "gan": "GAN",
    "cvae": "Conditional VAE",
    "mvae": "Multimodal VAE (pictures + sentences)",
}
KINDS = {kind: TITLES[kind] for kind in (*GENERATIVE_KINDS, *CONDITIONAL_KINDS)}
BETA_KINDS = ("vae", "cvae", "mvae")  # the kinds whose loss has a KL term
LATENT_SIZES = (2, 4, 8, 16, 32, 64, 128)
LEARNING_RATES = (1e-4, 2e-4, 4e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2)


def use_lr_of_kind() -> None:
    """A new kind starts from its shipped model's learning rate and beta."""
    defaults = defaults_for(st.session_state["train_kind"])
    st.session_state["train_lr"] = defaults.lr
    st.session_state["train_beta"] = defaults.beta


def open_in_sidebar(name: str, dataset: str) -> None:
    """A button callback: runs before the sidebar is drawn, so it may set its widgets."""
    st.session_state["app_dataset"] = dataset
    st.session_state["app_model"] = name


def show_progress(kind: str, snap: JobSnapshot) -> None:
    if snap.epoch:
        per_epoch = snap.seconds / snap.epoch
        left = per_epoch * (snap.epochs - snap.epoch)
        timing = f"{per_epoch:.1f} s per epoch, about {left:.0f} s left"
    else:
        timing = f"{snap.seconds:.0f} s, first epoch running"
    text = f"Epoch {snap.epoch} of {snap.epochs} · {timing}"
    if snap.status == "stopping":
        text = f"Stopping after the current epoch (epoch {snap.epoch} of {snap.epochs} done)…"
    st.progress(snap.fraction, text=text)
    if snap.history:
        st.plotly_chart(plots.training_curves(kind, snap.history), width="stretch")


@st.fragment(run_every=1.0)
def live(job_id: str) -> None:
    """Redrawn every second while the job trains; reruns the whole app once it has finished,
    so that the sidebar's picker re-reads the checkpoint folder."""
    job = resources.training_jobs()[job_id]
    snap = job.snapshot()
    if snap.finished:
        st.rerun(scope="app")
    curves, playback = st.columns([2, 3], gap="medium")
    with curves:
        show_progress(job.config.model.kind, snap)
        st.caption(
            ":material/dns: This training runs inside the server process of this page: it is lost "
            "if this replica stops (a restart, a failed replica). The finished model goes to the "
            "checkpoint folder that every replica reads."
        )
    with playback:
        if job.recorder is not None:
            live_playback(job.recorder, job.dataset.class_names, key="train_playback")
    if st.button(
        "Stop (keeps the last finished epoch)",
        key="train_stop",
        icon=":material/stop:",
        disabled=snap.status == "stopping",
    ):
        job.request_stop()
        st.rerun(scope="fragment")


def show_result(job: TrainingJob, snap: JobSnapshot) -> None:
    kind = job.config.model.kind
    if snap.status == "failed":
        st.error(f"Training failed: {snap.error} Nothing was saved.", icon=":material/error:")
    else:
        name = snap.path.stem
        if snap.status == "stopped":
            st.warning(
                f"Stopped after epoch {snap.epoch} of {snap.epochs}. That epoch's model was "
                f"saved as **{name}**.",
                icon=":material/pause_circle:",
            )
        else:
            elsewhere = job.dataset.name != st.session_state.get("app_dataset", "embedded")
            where = f" under the dataset **{job.dataset.name}**" if elsewhere else ""
            trained = f"{snap.epoch} epoch" + ("s" if snap.epoch > 1 else "")
            st.success(
                f"Trained {trained} in {snap.seconds:.1f} s and saved **{name}**. "
                f"It is now in the sidebar's model picker{where}.",
                icon=":material/check_circle:",
            )
        st.button(
            f"Open {name} in the sidebar",
            key="train_open",
            on_click=open_in_sidebar,
            args=(name, job.dataset.name),
        )
    if snap.history:
        final = {k: v for k, v in snap.history[-1].items() if k.startswith("val_")}
        st.caption(
            "Validation after the last epoch: "
            + ", ".join(f"{k.removeprefix('val_')} {v:.4g}" for k, v in final.items())
        )
        st.plotly_chart(plots.training_curves(kind, snap.history), width="stretch")
    if snap.path is not None:
        finished_playback(snap.path, job.dataset.class_names, key="train_history")


first = defaults_for("ae")
state.init(train_job=None)  # id of this session's latest job
state.init(train_kind=first.model.kind, train_latent=first.model.latent_dim, train_device="auto")
state.init(train_epochs=10)  # fewer than a full recipe: a first model in a minute or two
state.init(train_lr=first.lr, train_beta=first.beta)
datasets = resources.available_datasets()
state.pick("train_dataset", datasets, [st.session_state.get("app_dataset", "embedded")])

registry = resources.training_jobs()
job = registry.get(st.session_state["train_job"])
snap = job.snapshot() if job is not None else None
busy = snap is not None and not snap.finished

st.title("Train a model")
st.caption(
    "Train a fresh network on the training split; after every epoch it is scored on the "
    "validation split. Training runs in the background: you can open other pages meanwhile. "
    "The result is saved as a new checkpoint and never replaces an existing one."
)

with st.container(border=True):
    top = st.columns([3, 3, 2])
    kind = top[0].radio(
        "Model",
        list(KINDS),
        key="train_kind",
        format_func=KINDS.get,
        horizontal=True,
        on_change=use_lr_of_kind,
        disabled=busy,
    )
    latent_dim = top[1].select_slider(
        "Latent size k", LATENT_SIZES, key="train_latent", disabled=busy
    )
    epochs = top[2].number_input(
        "Epochs", min_value=1, max_value=200, step=1, key="train_epochs", disabled=busy
    )
    middle = st.columns([3, 3, 2])
    lr = middle[0].select_slider(
        "Learning rate", LEARNING_RATES, key="train_lr", format_func="{:g}".format, disabled=busy
    )
    beta = middle[1].slider(
        "β (weight of the KL term; 1 = the true ELBO)",
        0.0,
        4.0,
        step=0.1,
        key="train_beta",
        disabled=busy or kind not in BETA_KINDS,
    )
    dataset_name = middle[2].selectbox("Dataset", datasets, key="train_dataset", disabled=busy)
    bottom = st.columns([3, 3, 2])
    device = bottom[0].selectbox(
        "Device",
        available_devices(),
        key="train_device",
        disabled=busy,
        help=f"auto picks CUDA, then Apple's MPS, then the CPU (here: {resources.device_name()}).",
    )
    start = bottom[2].button(
        "Start training",
        key="train_start",
        type="primary",
        icon=":material/play_arrow:",
        disabled=busy,
        width="stretch",
    )

mine = st.session_state["train_job"]
others = sum(1 for j in registry.values() if j.id != mine and not j.snapshot().finished)
if others:
    st.info(f"{others} other training job(s) run on this server right now and share its CPU/GPU.")

if start:
    try:
        settings = (int(latent_dim), int(epochs), float(lr), beta if kind in BETA_KINDS else 1.0)
        new_job = resources.start_training(kind, dataset_name, *settings, device)
    except (ValueError, DatasetUnavailable) as exc:
        st.error(f"Cannot start: {exc}")
    else:
        st.session_state["train_job"] = new_job.id
        st.rerun()

if job is not None:
    if busy:
        live(job.id)
    else:
        show_result(job, snap)
