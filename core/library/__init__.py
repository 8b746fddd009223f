"""A photo library over time: folders, labels, indexing, training and watching."""
