"""CLIP models: loading, ONNX export and runtime, tokenizer, the model process."""
