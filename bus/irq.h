/* IRQ lines with level semantics.
 *
 * A line is owned by whoever receives it (the PIC's input pin, the CPU's INTR
 * pin); the sender holds a pointer and calls irq_set().  The receiver's
 * handler runs only when the level changes, so edge detection is the
 * receiver's business, as on real hardware. */
#ifndef AMBER_BUS_IRQ_H
#define AMBER_BUS_IRQ_H

typedef void irq_handler(void *opaque, int n, int level);

struct irq_line {
    irq_handler *handler;
    void *opaque;
    int n;      /* which input of the receiver this is */
    int level;  /* current level, 0 or 1 */
};

static inline void irq_init(struct irq_line *l, irq_handler *h, void *opaque, int n)
{
    l->handler = h;
    l->opaque = opaque;
    l->n = n;
    l->level = 0;
}

static inline void irq_set(struct irq_line *l, int level)
{
    level = level != 0;
    if (!l || l->level == level)
        return;
    l->level = level;
    if (l->handler)
        l->handler(l->opaque, l->n, level);
}

static inline void irq_raise(struct irq_line *l) { irq_set(l, 1); }
static inline void irq_lower(struct irq_line *l) { irq_set(l, 0); }

/* An edge for edge-triggered receivers: high, then low again. */
static inline void irq_pulse(struct irq_line *l)
{
    irq_set(l, 1);
    irq_set(l, 0);
}

#endif
