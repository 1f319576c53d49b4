"""Fine-tune a sentiment classifier (example project with supply-chain mistakes for mlwarden to find)."""

import pickle

import torch
import yaml
from datasets import load_dataset
from transformers import AutoModelForSequenceClassification, AutoTokenizer

BASE_MODEL = "distilbert/distilbert-base-uncased"
REVISION = "main"


def load_config(path):
    with open(path) as fh:
        return yaml.load(fh, Loader=yaml.Loader)


def main():
    cfg = load_config("configs/train.yaml")
    tokenizer = AutoTokenizer.from_pretrained(BASE_MODEL, revision=REVISION)
    model = AutoModelForSequenceClassification.from_pretrained(cfg["model"], trust_remote_code=True)
    data = load_dataset("stanfordnlp/imdb")
    state = torch.load("models/checkpoint.pt")
    model.load_state_dict(state)
    with open("models/label_encoder.pkl", "rb") as fh:
        labels = pickle.load(fh)
    return tokenizer, model, data, labels


if __name__ == "__main__":
    main()
