"""Solutions to notebook 08 (overfitting, dropout and early stopping)."""


def inverted_dropout(x, mask, p):
    return x * mask / (1 - p)


def early_stopping(val_losses, patience):
    best_epoch, best = 0, val_losses[0]
    for epoch, loss in enumerate(val_losses):
        if loss < best:
            best_epoch, best = epoch, loss
        elif epoch > 0 and epoch - best_epoch >= patience:
            return best_epoch, epoch
    return best_epoch, None
